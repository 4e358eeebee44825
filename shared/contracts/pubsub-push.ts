/**
 * The body Pub/Sub POSTs to a push subscription's endpoint
 * (https://cloud.google.com/pubsub/docs/push#receive_push). Our consumers are
 * HTTP functions that read it directly rather than through the
 * functions-framework's CloudEvent conversion, because that conversion drops
 * `deliveryAttempt` and `subscription`, which the event log needs to report
 * `retrying` with an attempt count and to know which consumer dead-lettered.
 * Answering 2xx acks the message; anything else nacks it (Pub/Sub retries with
 * the subscription's backoff, then dead-letters).
 */
export interface PushBody {
  message: {
    /** Base64 of the message bytes. */
    data?: string;
    attributes?: Record<string, string>;
    messageId: string;
    publishTime?: string;
  };
  /** projects/P/subscriptions/S */
  subscription: string;
  /** 1 on first delivery; present only when the subscription has a dead-letter policy. */
  deliveryAttempt?: number;
}

export interface PushMessage {
  data: Buffer;
  attributes: Record<string, string>;
  messageId: string;
  publishTime: string | undefined;
  /** The subscription's short name (after `subscriptions/`). */
  subscription: string;
  deliveryAttempt: number;
}

export function isPushBody(body: unknown): body is PushBody {
  const b = body as PushBody | null;
  return !!b && typeof b === 'object' && typeof b.subscription === 'string' && !!b.message && typeof b.message.messageId === 'string';
}

export function parsePushBody(body: PushBody): PushMessage {
  return {
    data: Buffer.from(body.message.data ?? '', 'base64'),
    attributes: body.message.attributes ?? {},
    messageId: body.message.messageId,
    publishTime: body.message.publishTime,
    subscription: body.subscription.split('/').pop() ?? body.subscription,
    deliveryAttempt: typeof body.deliveryAttempt === 'number' && body.deliveryAttempt > 0 ? body.deliveryAttempt : 1,
  };
}

/** Builds a push body the way Pub/Sub would, for tests and local tools. */
export function toPushBody(
  message: { data: Buffer | string; attributes?: Record<string, string>; messageId?: string },
  subscription: string,
  deliveryAttempt = 1,
): PushBody {
  return {
    message: {
      data: Buffer.from(message.data).toString('base64'),
      attributes: message.attributes ?? {},
      messageId: message.messageId ?? String(Date.now()) + Math.floor(Math.random() * 1e6),
      publishTime: new Date().toISOString(),
    },
    subscription: subscription.includes('/')
      ? subscription
      : `projects/${process.env.GOOGLE_CLOUD_PROJECT ?? 'local'}/subscriptions/${subscription}`,
    deliveryAttempt,
  };
}
