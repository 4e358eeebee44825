/**
 * Connecting a Telegram bot: the Bot API client and the connector
 * (shared/platform-kit/connect.ts). https://core.telegram.org/bots/api
 *
 *   identify   getMe → the bot's id (the Block's account_id) and @username
 *   register   setWebhook: our webhook-telegram URL, a fresh secret_token
 *              (Telegram echoes it in X-Telegram-Bot-Api-Secret-Token, which the
 *              edge authenticates and routes by), allowed_updates = the update
 *              kinds the normalizer maps (MAPPED_UPDATE_KINDS, one source)
 *   confirm    getWebhookInfo shows our URL
 *   unregister deleteWebhook (Telegram answers ok when there is none)
 *   check      getWebhookInfo: last_error_message, pending_update_count
 *   rotate     a new secret token in front of the current one; setWebhook switches
 *
 * Every method is a POST to {apiBase}/bot{token}/{method} with a JSON body;
 * answers are {"ok":true,"result":…} or {"ok":false,"error_code":401,"description":"Unauthorized"}.
 * The URL holds the bot token, so it never appears in an error or a log line.
 */
import { randomBytes } from 'node:crypto';
import {
  ConnectError,
  fetchPlatform,
  type ConnectContext,
  type Connector,
  type ConnectorSecrets,
  type WebhookStatus,
} from '../../platform-kit/connect';
import { MAPPED_UPDATE_KINDS } from './normalize';

export interface TelegramCredentials {
  /** From @BotFather: `<bot id>:<secret>`. */
  bot_token: string;
}

/** Bot tokens as BotFather issues them; anything else would only earn a 404 from Telegram. */
const BOT_TOKEN = /^[0-9]{1,20}:[A-Za-z0-9_-]{20,100}$/;

/** A secret_token for setWebhook: 1-256 of A-Z a-z 0-9 _ -. 32 random bytes in base64url are 43 of them. */
export function newTelegramSecretToken(): string {
  return randomBytes(32).toString('base64url');
}

interface TelegramAnswer<T> {
  ok: boolean;
  result?: T;
  error_code?: number;
  description?: string;
}

export interface TelegramUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  username?: string;
}

export interface TelegramWebhookInfo {
  url: string;
  has_custom_certificate?: boolean;
  pending_update_count: number;
  last_error_date?: number;
  last_error_message?: string;
  allowed_updates?: string[];
}

/** Telegram's refusal of a method call, with its error_code and description. */
export class TelegramApiError extends Error {
  override readonly name = 'TelegramApiError';
  constructor(
    readonly method: string,
    readonly errorCode: number,
    readonly description: string,
  ) {
    super(`Telegram ${method}: ${description}`);
  }
}

/** Calls one Bot API method; throws TelegramApiError on `ok:false` and ConnectError platform_error when Telegram cannot be reached. */
export async function callTelegram<T>(
  ctx: Pick<ConnectContext, 'apiBase' | 'fetch'>,
  token: string,
  method: string,
  params: object = {},
): Promise<T> {
  const url = `${ctx.apiBase.replace(/\/+$/, '')}/bot${token}/${method}`;
  const res = await fetchPlatform(ctx, `Telegram ${method}`, url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  let answer: TelegramAnswer<T>;
  try {
    answer = (await res.json()) as TelegramAnswer<T>;
  } catch {
    throw new ConnectError('platform_error', `Telegram ${method} answered ${res.status} without a JSON body`, String(res.status));
  }
  if (!answer || typeof answer !== 'object' || answer.ok !== true) {
    throw new TelegramApiError(method, answer?.error_code ?? res.status, answer?.description ?? `HTTP ${res.status}`);
  }
  return answer.result as T;
}

/**
 * Telegram's refusal as a ConnectError: 401/404 (the token) are bad
 * credentials; 429 (flood control) and 5xx are Telegram's trouble; `onRefusal`
 * for the others (setWebhook's 400 "bad webhook: ..." is not_accepted).
 */
function asConnectError(err: unknown, onRefusal: 'platform_error' | 'not_accepted'): unknown {
  if (!(err instanceof TelegramApiError)) return err;
  const code = err.errorCode;
  const reason = code === 401 || code === 404 ? 'bad_credentials' : code === 429 || code >= 500 ? 'platform_error' : onRefusal;
  return new ConnectError(reason, err.description, String(err.errorCode));
}

async function call<T>(
  ctx: ConnectContext,
  token: string,
  method: string,
  params: object = {},
  onRefusal: 'platform_error' | 'not_accepted' = 'platform_error',
): Promise<T> {
  try {
    return await callTelegram<T>(ctx, token, method, params);
  } catch (err) {
    throw asConnectError(err, onRefusal);
  }
}

function tokensOf(secrets: ConnectorSecrets): string[] {
  const tokens = secrets.telegram_secret_tokens;
  return Array.isArray(tokens) ? tokens.filter((t): t is string => typeof t === 'string') : [];
}

function webhookStatus(ctx: ConnectContext, info: TelegramWebhookInfo): WebhookStatus {
  const registered = info.url === ctx.webhookUrl;
  const lastError = info.last_error_message
    ? {
        message: info.last_error_message,
        ...(info.last_error_date ? { at: new Date(info.last_error_date * 1000).toISOString() } : {}),
      }
    : undefined;
  return {
    registered,
    ...(info.url ? { url: info.url } : {}),
    pending: info.pending_update_count,
    ...(lastError ? { lastError } : {}),
    ok: registered && !lastError,
  };
}

export const telegramConnector: Connector<TelegramCredentials> = {
  platform: 'telegram',

  parseCredentials(input) {
    const token = (input as { bot_token?: unknown } | undefined)?.bot_token;
    if (typeof token !== 'string' || !BOT_TOKEN.test(token)) {
      throw new ConnectError('bad_credentials', 'credentials.bot_token must be a bot token from @BotFather (<bot id>:<secret>)');
    }
    return { bot_token: token };
  },

  async identify(ctx, { bot_token }) {
    const me = await call<TelegramUser>(ctx, bot_token, 'getMe');
    return { accountId: String(me.id), ...(me.username ? { name: `@${me.username}` } : {}) };
  },

  newSecrets({ bot_token }) {
    return { telegram_bot_token: bot_token, telegram_secret_tokens: [newTelegramSecretToken()] };
  },

  async register(ctx, { bot_token }, secrets) {
    const secret = tokensOf(secrets)[0];
    if (!secret) throw new Error('no Telegram secret token to register');
    await call<boolean>(
      ctx,
      bot_token,
      'setWebhook',
      { url: ctx.webhookUrl, secret_token: secret, allowed_updates: MAPPED_UPDATE_KINDS },
      'not_accepted',
    );
  },

  async confirm(ctx, { bot_token }) {
    const info = await call<TelegramWebhookInfo>(ctx, bot_token, 'getWebhookInfo');
    if (info.url !== ctx.webhookUrl) {
      throw new ConnectError('not_accepted', `Telegram reports the webhook as ${info.url ? 'another URL' : 'not set'} after setWebhook`);
    }
  },

  async unregister(ctx, { bot_token }) {
    await call<boolean>(ctx, bot_token, 'deleteWebhook', {});
  },

  async check(ctx, { bot_token }) {
    return webhookStatus(ctx, await call<TelegramWebhookInfo>(ctx, bot_token, 'getWebhookInfo'));
  },

  storedCredentials(secrets) {
    const token = secrets.telegram_bot_token;
    return typeof token === 'string' ? { bot_token: token } : undefined;
  },

  rotate: {
    next: (secrets) => ({ ...secrets, telegram_secret_tokens: [newTelegramSecretToken(), ...tokensOf(secrets)] }),
    settle: (secrets) => ({ ...secrets, telegram_secret_tokens: tokensOf(secrets).slice(0, 1) }),
  },
};
