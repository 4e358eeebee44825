/**
 * A local fake of the Telegram Bot API (https://core.telegram.org/bots/api),
 * for the tests and the local stack (npm start) of the Block connection: the methods connect uses, with the
 * requests, answers and errors Telegram documents, and the platform's side of
 * a webhook for real: it delivers updates to the registered URL with the
 * registered secret token, and records delivery errors as getWebhookInfo does.
 *
 *   POST|GET /bot<token>/<method>   JSON body or query parameters
 *   getMe, setWebhook, getWebhookInfo, deleteWebhook
 *   {"ok":true,"result":…} | {"ok":false,"error_code":401,"description":"Unauthorized"}
 *
 * Differences from Telegram, on purpose: plain-http and loopback webhook URLs
 * are accepted (Telegram demands HTTPS on ports 443, 80, 88 or 8443), and
 * setWebhook stores the URL without calling it.
 */
import http from 'node:http';
import { FakeServer, jsonSender, readBody } from './server';

export interface FakeBot {
  id: number;
  username: string;
  first_name?: string;
}

export interface FakeWebhook {
  url: string;
  secret_token?: string;
  allowed_updates?: string[];
  pending_update_count: number;
  last_error_date?: number;
  last_error_message?: string;
}

interface Failure {
  error_code: number;
  description: string;
}

type Params = Record<string, unknown>;

const SECRET_TOKEN = /^[A-Za-z0-9_-]{1,256}$/;
const TOKEN_PATH = /^\/bot([0-9]+:[A-Za-z0-9_-]+)\/([A-Za-z]+)$/;

export class FakeTelegramApi extends FakeServer {
  private readonly bots = new Map<string, FakeBot>();
  private readonly webhooks = new Map<number, FakeWebhook>();
  private readonly failures = new Map<string, Failure[]>();
  /** Every method called, by bot id (never the token). */
  readonly calls: Array<{ bot: number | undefined; method: string }> = [];
  /** Every secret_token setWebhook was given, so tests can look for them where they must not be. */
  readonly issuedSecretTokens: string[] = [];
  /** Runs before setWebhook takes effect (a test's view of the moment between the two tokens). */
  beforeSetWebhook: ((bot: FakeBot, params: Params) => Promise<void>) | undefined;
  /** The webhook's answer to the last delivery (the edge answers JSON with its request_id). */
  lastAnswer: { status: number; body: string } | undefined;

  /** A bot BotFather made: its token works from now on. */
  addBot(token: string, bot: FakeBot): void {
    this.bots.set(token, bot);
  }

  /** BotFather's /revoke: the token stops working (the webhook stays, as at Telegram). */
  revoke(token: string): void {
    this.bots.delete(token);
  }

  /** The next call of `method` fails with Telegram's error (once per call to this). */
  failNext(method: string, failure: Failure): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), failure]);
  }

  webhookOf(botId: number): FakeWebhook | undefined {
    return this.webhooks.get(botId);
  }

  /**
   * Telegram's delivery: POSTs the update to the bot's webhook URL with its
   * secret token (or `override`, for a delivery under another token or to a
   * URL the bot is no longer registered at); a non-2xx answer is recorded as
   * getWebhookInfo's last error.
   */
  async deliver(botId: number, update: object, override: { url?: string; secretToken?: string } = {}): Promise<number> {
    const hook = this.webhooks.get(botId);
    const url = override.url ?? hook?.url;
    if (!url) throw new Error(`bot ${botId} has no webhook to deliver to`);
    const secret = override.secretToken ?? hook?.secret_token;
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(secret ? { 'x-telegram-bot-api-secret-token': secret } : {}) },
      body: JSON.stringify(update),
    });
    this.lastAnswer = { status: res.status, body: await res.text() };
    if (hook && !override.url && (res.status < 200 || res.status > 299)) {
      hook.last_error_date = Math.floor(Date.now() / 1000);
      hook.last_error_message = `Wrong response from the webhook: ${res.status} ${http.STATUS_CODES[res.status] ?? ''}`.trim();
      hook.pending_update_count += 1;
    }
    return res.status;
  }

  protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = jsonSender(res);
    const fail = (f: Failure) => send(f.error_code, { ok: false, ...f });
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    const match = TOKEN_PATH.exec(url.pathname);
    if (!match) return fail({ error_code: 404, description: 'Not Found' });
    const [, token, method] = match as unknown as [string, string, string];
    const bot = this.bots.get(token);
    this.calls.push({ bot: bot?.id, method });
    if (!bot) return fail({ error_code: 401, description: 'Unauthorized' });
    const params: Params = Object.fromEntries(url.searchParams);
    if (body) {
      try {
        Object.assign(params, JSON.parse(body) as Params);
      } catch {
        return fail({ error_code: 400, description: "Bad Request: can't parse JSON object" });
      }
    }
    const injected = this.failures.get(method)?.shift();
    if (injected) return fail(injected);

    switch (method) {
      case 'getMe':
        return send(200, {
          ok: true,
          result: { id: bot.id, is_bot: true, first_name: bot.first_name ?? bot.username, username: bot.username },
        });
      case 'setWebhook': {
        const target = typeof params.url === 'string' ? params.url : '';
        if (params.secret_token !== undefined && (typeof params.secret_token !== 'string' || !SECRET_TOKEN.test(params.secret_token)))
          return fail({ error_code: 400, description: 'Bad Request: secret token contains unallowed characters' });
        if (target && !/^https?:\/\//.test(target))
          return fail({ error_code: 400, description: 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook' });
        await this.beforeSetWebhook?.(bot, params);
        if (!target) {
          this.webhooks.delete(bot.id);
          return send(200, { ok: true, result: true, description: 'Webhook was deleted' });
        }
        if (typeof params.secret_token === 'string') this.issuedSecretTokens.push(params.secret_token);
        const allowed = Array.isArray(params.allowed_updates) ? (params.allowed_updates as string[]) : undefined;
        this.webhooks.set(bot.id, {
          url: target,
          ...(typeof params.secret_token === 'string' ? { secret_token: params.secret_token } : {}),
          ...(allowed ? { allowed_updates: allowed } : {}),
          pending_update_count: 0,
        });
        return send(200, { ok: true, result: true, description: 'Webhook was set' });
      }
      case 'getWebhookInfo': {
        const hook = this.webhooks.get(bot.id);
        // Telegram never returns the secret token.
        const result = hook
          ? {
              url: hook.url,
              has_custom_certificate: false,
              pending_update_count: hook.pending_update_count,
              max_connections: 40,
              ...(hook.last_error_date ? { last_error_date: hook.last_error_date, last_error_message: hook.last_error_message } : {}),
              ...(hook.allowed_updates ? { allowed_updates: hook.allowed_updates } : {}),
            }
          : { url: '', has_custom_certificate: false, pending_update_count: 0 };
        return send(200, { ok: true, result });
      }
      case 'deleteWebhook': {
        const had = this.webhooks.delete(bot.id);
        return send(200, { ok: true, result: true, description: had ? 'Webhook was deleted' : 'Webhook is already deleted' });
      }
      default:
        return fail({ error_code: 404, description: 'Not Found: method not found' });
    }
  }
}
