/**
 * A local fake of the LINE Messaging API (https://developers.line.biz/en/reference/messaging-api/),
 * for the tests and the local stack (npm start) of the Block connection: the endpoints connect uses, with the
 * requests, answers and errors LINE documents, and LINE's side of a webhook
 * for real: the webhook test and deliveries POST a body signed with the
 * channel secret (x-line-signature: base64 HMAC-SHA256) to the registered URL.
 *
 *   GET  /v2/bot/info                          {userId, basicId, displayName, ...}
 *   PUT  /v2/bot/channel/webhook/endpoint      {endpoint} → {}
 *   GET  /v2/bot/channel/webhook/endpoint      {endpoint, active}
 *   POST /v2/bot/channel/webhook/test          {endpoint?} → {success, timestamp, statusCode, reason, detail}
 *   errors: {"message": "...", "details": [{"message", "property"}]}
 *
 * Differences from LINE, on purpose: plain-http loopback webhook URLs are
 * accepted (LINE demands HTTPS), and "Use webhook" (`active`) is on unless a
 * test turns it off.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { FakeServer, jsonSender, readBody } from './server';

export interface FakeLineBot {
  userId: string;
  basicId: string;
  displayName: string;
  /** What LINE signs with: the current channel secret. */
  channelSecret: string;
}

export interface FakeLineWebhook {
  endpoint: string;
  active: boolean;
}

interface Failure {
  status: number;
  body: { message: string; details?: Array<{ message: string; property: string }> };
}

export const LINE_UNAUTHORIZED: Failure = {
  status: 401,
  body: { message: 'Authentication failed. Confirm that the access token in the authorization header is valid.' },
};

export function lineSignature(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64');
}

export class FakeLineApi extends FakeServer {
  private readonly bots = new Map<string, FakeLineBot>();
  private readonly webhooks = new Map<string, FakeLineWebhook>();
  private readonly failures = new Map<string, Failure[]>();
  /** Every call, by bot user id (never the token): `GET /v2/bot/info` etc. */
  readonly calls: Array<{ bot: string | undefined; call: string }> = [];
  /** Runs before the webhook test is sent (a test's view of the moment LINE tests). */
  beforeTest: ((bot: FakeLineBot) => Promise<void>) | undefined;
  /** The webhook's answer to the last request LINE sent. */
  lastAnswer: { status: number; body: string; requestId: string | undefined } | undefined;

  /** A Messaging API channel: its access token works from now on. */
  addBot(token: string, bot: FakeLineBot): void {
    this.bots.set(token, bot);
  }

  /** The token is revoked (or expired). */
  revoke(token: string): void {
    this.bots.delete(token);
  }

  /** The console's "Reissue" of the channel secret: LINE signs with the new one from now on. */
  reissueSecret(userId: string, secret: string): void {
    for (const bot of this.bots.values()) if (bot.userId === userId) bot.channelSecret = secret;
  }

  /** The secret LINE signs the bot's requests with now. */
  secretOf(userId: string): string | undefined {
    return this.botById(userId)?.channelSecret;
  }

  /** The console's "Use webhook" switch. */
  setActive(userId: string, active: boolean): void {
    const hook = this.webhooks.get(userId);
    if (hook) hook.active = active;
  }

  /** The next call (`PUT /v2/bot/channel/webhook/endpoint` etc.) fails with LINE's error (once per call to this). */
  failNext(call: string, failure: Failure): void {
    this.failures.set(call, [...(this.failures.get(call) ?? []), failure]);
  }

  webhookOf(userId: string): FakeLineWebhook | undefined {
    return this.webhooks.get(userId);
  }

  private botById(userId: string): FakeLineBot | undefined {
    return [...this.bots.values()].find((b) => b.userId === userId);
  }

  /** LINE's request to a webhook: the body signed with `secret`. */
  private async post(url: string, body: string, secret: string): Promise<number> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'x-line-signature': lineSignature(body, secret) },
      body,
    });
    this.lastAnswer = { status: res.status, body: await res.text(), requestId: res.headers.get('x-request-id') ?? undefined };
    return res.status;
  }

  /**
   * A delivery of `events` to the bot's webhook, signed with its channel secret
   * (or `override`: another secret, or a URL the bot is no longer registered at).
   */
  async deliver(userId: string, events: object[], override: { url?: string; secret?: string } = {}): Promise<number> {
    const bot = this.botById(userId);
    const url = override.url ?? this.webhooks.get(userId)?.endpoint;
    if (!url) throw new Error(`bot ${userId} has no webhook to deliver to`);
    const secret = override.secret ?? bot?.channelSecret;
    if (!secret) throw new Error(`no channel secret for ${userId}`);
    return this.post(url, JSON.stringify({ destination: userId, events }), secret);
  }

  protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = jsonSender(res);
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    const call = `${req.method} ${url.pathname}`;
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const bot = auth ? this.bots.get(auth[1]!) : undefined;
    this.calls.push({ bot: bot?.userId, call });
    if (!bot) return send(LINE_UNAUTHORIZED.status, LINE_UNAUTHORIZED.body);
    let params: Record<string, unknown> = {};
    if (body) {
      try {
        params = JSON.parse(body) as Record<string, unknown>;
      } catch {
        return send(400, { message: 'The request body has 1 error(s)', details: [{ message: 'Invalid JSON', property: '' }] });
      }
    }
    const injected = this.failures.get(call)?.shift();
    if (injected) return send(injected.status, injected.body);

    switch (call) {
      case 'GET /v2/bot/info':
        return send(200, {
          userId: bot.userId,
          basicId: bot.basicId,
          displayName: bot.displayName,
          chatMode: 'bot',
          markAsReadMode: 'auto',
        });
      case 'PUT /v2/bot/channel/webhook/endpoint': {
        const endpoint = params.endpoint;
        if (typeof endpoint !== 'string' || !/^https?:\/\/\S+$/.test(endpoint) || endpoint.length > 500) {
          return send(400, {
            message: 'The request body has 1 error(s)',
            details: [{ message: 'must be a valid HTTPS URL', property: 'endpoint' }],
          });
        }
        const hook = this.webhooks.get(bot.userId);
        this.webhooks.set(bot.userId, { endpoint, active: hook?.active ?? true });
        return send(200, {});
      }
      case 'GET /v2/bot/channel/webhook/endpoint': {
        const hook = this.webhooks.get(bot.userId);
        return send(200, hook ? { endpoint: hook.endpoint, active: hook.active } : { endpoint: '', active: false });
      }
      case 'POST /v2/bot/channel/webhook/test': {
        const target = typeof params.endpoint === 'string' ? params.endpoint : this.webhooks.get(bot.userId)?.endpoint;
        if (!target) return send(400, { message: 'Webhook endpoint is not set' });
        await this.beforeTest?.(bot);
        const timestamp = new Date().toISOString();
        let status: number;
        try {
          status = await this.post(target, JSON.stringify({ destination: bot.userId, events: [] }), bot.channelSecret);
        } catch {
          return send(200, { success: false, timestamp, statusCode: 0, reason: 'COULD_NOT_CONNECT', detail: 'Connection refused' });
        }
        if (status >= 200 && status < 300)
          return send(200, { success: true, timestamp, statusCode: status, reason: 'OK', detail: String(status) });
        return send(200, {
          success: false,
          timestamp,
          statusCode: status,
          reason: 'ERROR_STATUS_CODE',
          detail: `The webhook returned an HTTP status code other than 200.(${status} ${http.STATUS_CODES[status] ?? ''})`.replace(
            ' )',
            ')',
          ),
        });
      }
      default:
        return send(404, { message: 'Not found' });
    }
  }
}
