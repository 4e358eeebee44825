/**
 * Connecting a LINE Messaging API channel: the API client and the connector
 * (shared/platform-kit/connect.ts). https://developers.line.biz/en/reference/messaging-api/
 *
 *   identify   GET /v2/bot/info → the bot's `userId` (the Block's account_id: the
 *              `destination` of every webhook body, which the edge routes by)
 *   register   PUT /v2/bot/channel/webhook/endpoint {endpoint: our webhook-line URL}
 *   confirm    GET /v2/bot/channel/webhook/endpoint shows our URL with `active`
 *              ("Use webhook" on), then POST /v2/bot/channel/webhook/test: LINE
 *              sends a signed `{"destination": userId, "events": []}` to the URL
 *              and answers `{success, timestamp, statusCode, reason, detail}`.
 *              Our edge must already find the Block and its channel secret, so
 *              this connector sets `confirmNeedsBlock`.
 *   unregister nothing at LINE: the API has no call that removes the endpoint
 *              (PUT requires a valid HTTPS URL), so it stays set; our edge
 *              refuses the Block's deliveries (401 unknown_destination) from the
 *              moment it is disconnected. docs/blocks.md#line
 *   check      the endpoint (`endpoint`, `active`) and the webhook test
 *   rotate     LINE's API cannot reissue the channel secret: the operator reissues
 *              it in the LINE Developers Console and passes the new one; it goes
 *              in front of the old, which stays accepted for LINE_SECRET_GRACE_MS
 *              (line_secret_grace_until in the secrets document).
 *
 * Requests carry `Authorization: Bearer {channel access token}`; errors are
 * `{"message": "...", "details": [{"message", "property"}]}`. The token and
 * the secret never appear in an error or a log line.
 */
import {
  ConnectError,
  fetchPlatform,
  type ConnectContext,
  type Connector,
  type ConnectorSecrets,
  type WebhookStatus,
} from '../../platform-kit/connect';

export interface LineCredentials {
  /** A channel access token (long-lived, or v2.1/stateless) of the Messaging API channel. */
  channel_access_token: string;
  /** The channel secret (Basic settings), which signs every webhook request. */
  channel_secret: string;
}

/** How long a rotated-out channel secret stays accepted: LINE redelivers failed webhooks for up to a day at most. */
export const LINE_SECRET_GRACE_MS = 24 * 60 * 60 * 1000;

/** Channel secrets are 32 hex characters. */
const CHANNEL_SECRET = /^[0-9a-f]{32}$/i;
/** Channel access tokens: long-lived ones are ~170 characters of base64; v2.1 ones are JWTs. Only the shape is checked here. */
const ACCESS_TOKEN = /^[A-Za-z0-9+/=._-]{20,2048}$/;

export interface LineBotInfo {
  userId: string;
  basicId?: string;
  premiumId?: string;
  displayName?: string;
  pictureUrl?: string;
  chatMode?: string;
  markAsReadMode?: string;
}

export interface LineWebhookEndpoint {
  endpoint: string;
  active: boolean;
}

export interface LineWebhookTest {
  success?: boolean;
  timestamp?: string;
  statusCode?: number;
  reason?: string;
  detail?: string;
}

/** LINE's refusal of a request: the HTTP status and LINE's `message` (with `details`). */
export class LineApiError extends Error {
  override readonly name = 'LineApiError';
  constructor(
    readonly path: string,
    readonly status: number,
    readonly description: string,
  ) {
    super(`LINE ${path}: ${description}`);
  }
}

function describe(body: unknown, status: number): string {
  const b = body as { message?: unknown; details?: unknown } | undefined;
  const message = typeof b?.message === 'string' ? b.message : `HTTP ${status}`;
  const details = Array.isArray(b?.details)
    ? b.details
        .map((d: { message?: unknown; property?: unknown }) =>
          [typeof d?.property === 'string' ? d.property : undefined, typeof d?.message === 'string' ? d.message : undefined]
            .filter(Boolean)
            .join(': '),
        )
        .filter(Boolean)
    : [];
  return details.length ? `${message} (${details.join('; ')})` : message;
}

/** Calls one Messaging API endpoint; throws LineApiError on a non-2xx answer and ConnectError platform_error when LINE cannot be reached. */
export async function callLine<T>(
  ctx: Pick<ConnectContext, 'apiBase' | 'fetch'>,
  token: string,
  method: 'GET' | 'PUT' | 'POST',
  path: string,
  body?: object,
): Promise<T> {
  const res = await fetchPlatform(ctx, `LINE ${method} ${path}`, `${ctx.apiBase.replace(/\/+$/, '')}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      if (res.ok)
        throw new ConnectError('platform_error', `LINE ${method} ${path} answered ${res.status} without a JSON body`, String(res.status));
    }
  }
  if (!res.ok) throw new LineApiError(`${method} ${path}`, res.status, describe(parsed, res.status));
  return (parsed ?? {}) as T;
}

/**
 * LINE's refusal as a ConnectError: 401/403 (the token) are bad credentials,
 * 429 and 5xx LINE's trouble, `onRefusal` for the others (the endpoint PUT's
 * 400 is not_accepted).
 */
function asConnectError(err: unknown, onRefusal: 'platform_error' | 'not_accepted'): unknown {
  if (!(err instanceof LineApiError)) return err;
  const code = err.status;
  const reason = code === 401 || code === 403 ? 'bad_credentials' : code === 429 || code >= 500 ? 'platform_error' : onRefusal;
  return new ConnectError(reason, err.description, String(code));
}

async function call<T>(
  ctx: ConnectContext,
  token: string,
  method: 'GET' | 'PUT' | 'POST',
  path: string,
  body?: object,
  onRefusal: 'platform_error' | 'not_accepted' = 'platform_error',
): Promise<T> {
  try {
    return await callLine<T>(ctx, token, method, path, body);
  } catch (err) {
    throw asConnectError(err, onRefusal);
  }
}

const ENDPOINT_PATH = '/v2/bot/channel/webhook/endpoint';
const TEST_PATH = '/v2/bot/channel/webhook/test';

function secretsOf(secrets: ConnectorSecrets): string[] {
  const list = secrets.line_channel_secrets;
  return Array.isArray(list) ? list.filter((s): s is string => typeof s === 'string') : [];
}

function parseSecret(value: unknown, field: string): string {
  if (typeof value !== 'string' || !CHANNEL_SECRET.test(value)) {
    throw new ConnectError('bad_credentials', `${field} must be the channel secret from the LINE Developers Console (32 hex characters)`);
  }
  return value;
}

/** LINE's webhook test as a sentence: its reason, the status our edge answered, and LINE's detail. */
function testFailure(test: LineWebhookTest): string {
  const status = test.statusCode !== undefined ? ` (HTTP ${test.statusCode})` : '';
  return `webhook test failed: ${test.reason ?? 'no reason given'}${status}${test.detail ? `: ${test.detail}` : ''}`;
}

async function webhookTest(ctx: ConnectContext, token: string): Promise<LineWebhookTest> {
  return call<LineWebhookTest>(ctx, token, 'POST', TEST_PATH, {}, 'not_accepted');
}

export const lineConnector: Connector<LineCredentials> = {
  platform: 'line',
  confirmNeedsBlock: true,

  parseCredentials(input) {
    const c = (input ?? {}) as { channel_access_token?: unknown; channel_secret?: unknown };
    if (typeof c.channel_access_token !== 'string' || !ACCESS_TOKEN.test(c.channel_access_token)) {
      throw new ConnectError(
        'bad_credentials',
        'credentials.channel_access_token must be a channel access token of the Messaging API channel',
      );
    }
    return { channel_access_token: c.channel_access_token, channel_secret: parseSecret(c.channel_secret, 'credentials.channel_secret') };
  },

  async identify(ctx, { channel_access_token }) {
    const info = await call<LineBotInfo>(ctx, channel_access_token, 'GET', '/v2/bot/info');
    if (typeof info.userId !== 'string' || !info.userId)
      throw new ConnectError('platform_error', 'LINE GET /v2/bot/info answered without a userId');
    const name = info.displayName ?? info.basicId;
    return { accountId: info.userId, ...(name ? { name } : {}) };
  },

  newSecrets({ channel_access_token, channel_secret }) {
    return { line_channel_access_token: channel_access_token, line_channel_secrets: [channel_secret] };
  },

  async register(ctx, { channel_access_token }) {
    await call<object>(ctx, channel_access_token, 'PUT', ENDPOINT_PATH, { endpoint: ctx.webhookUrl }, 'not_accepted');
  },

  async confirm(ctx, { channel_access_token }) {
    const hook = await call<LineWebhookEndpoint>(ctx, channel_access_token, 'GET', ENDPOINT_PATH);
    if (hook.endpoint !== ctx.webhookUrl) {
      throw new ConnectError(
        'not_accepted',
        `LINE reports the webhook URL as ${hook.endpoint ? 'another URL' : 'not set'} after setting it`,
      );
    }
    if (hook.active !== true) {
      throw new ConnectError(
        'not_accepted',
        'LINE reports webhook usage as off (active: false): turn on "Use webhook" in the LINE Developers Console (Messaging API tab), then connect again',
      );
    }
    const test = await webhookTest(ctx, channel_access_token);
    if (test.success !== true) throw new ConnectError('not_accepted', testFailure(test), test.reason);
  },

  async unregister() {
    // LINE has no call that removes the webhook URL, and PUT refuses an empty one: the URL stays, and our edge refuses.
  },

  async check(ctx, { channel_access_token }): Promise<WebhookStatus> {
    const hook = await call<LineWebhookEndpoint>(ctx, channel_access_token, 'GET', ENDPOINT_PATH);
    const registered = hook.endpoint === ctx.webhookUrl;
    const base = { registered, ...(hook.endpoint ? { url: hook.endpoint } : {}), active: hook.active === true };
    if (!registered) return { ...base, ok: false };
    if (hook.active !== true) {
      return { ...base, lastError: { message: 'LINE reports webhook usage as off (active: false): no events are sent' }, ok: false };
    }
    const test = await webhookTest(ctx, channel_access_token);
    if (test.success === true) return { ...base, ok: true };
    return { ...base, lastError: { message: testFailure(test), ...(test.timestamp ? { at: test.timestamp } : {}) }, ok: false };
  },

  storedCredentials(secrets) {
    const token = secrets.line_channel_access_token;
    const secret = secretsOf(secrets)[0];
    return typeof token === 'string' && secret ? { channel_access_token: token, channel_secret: secret } : undefined;
  },

  rotate: {
    parseInput(input) {
      return parseSecret((input as { channel_secret?: unknown } | undefined)?.channel_secret, 'credentials.channel_secret');
    },
    next(secrets, input, now = new Date()) {
      const fresh = input as string;
      const current = secretsOf(secrets)[0];
      if (current === fresh) {
        throw new ConnectError(
          'bad_credentials',
          'credentials.channel_secret is the current channel secret: reissue it in the LINE Developers Console first',
        );
      }
      return {
        ...secrets,
        line_channel_secrets: current ? [fresh, current] : [fresh],
        line_secret_grace_until: new Date(now.getTime() + LINE_SECRET_GRACE_MS).toISOString(),
      };
    },
    /** The webhook test during a rotation must prove the new secret alone. */
    confirmWith: (secrets) => ({ ...secrets, line_channel_secrets: secretsOf(secrets).slice(0, 1) }),
    settle(secrets, now = new Date()) {
      const until = secrets.line_secret_grace_until;
      if (typeof until !== 'string' || Date.parse(until) > now.getTime()) return secrets;
      const { line_secret_grace_until: _dropped, ...rest } = secrets;
      return { ...rest, line_channel_secrets: secretsOf(secrets).slice(0, 1) };
    },
  },
};
