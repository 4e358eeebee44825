/**
 * Telegram authenticates a webhook with the secret token given to setWebhook,
 * echoed in `X-Telegram-Bot-Api-Secret-Token` (1-256 characters A-Z a-z 0-9 _ -).
 * There is no body signature.
 */
import { constantTimeIndexOf } from '../../platform-kit/constant-time';
import { singleHeader, type Headers } from '../../platform-kit/headers';
import type { VerifyResult } from '../../platform-kit/types';

export const TELEGRAM_SECRET_HEADER = 'x-telegram-bot-api-secret-token';

const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

/** The header's token when it is well-formed, else undefined. */
export function telegramSecretToken(headers: Headers): string | undefined {
  const token = singleHeader(headers, TELEGRAM_SECRET_HEADER)?.trim();
  return token && TOKEN.test(token) ? token : undefined;
}

/** Accepts when the header equals one of the Block's tokens (current, previous). `rawBody` is unsigned by Telegram. */
export function verifyTelegramSecretToken(_rawBody: Buffer, headers: Headers, tokens: readonly string[]): VerifyResult {
  if (tokens.length === 0) return { ok: false, reason: 'secret_not_configured' };
  const raw = singleHeader(headers, TELEGRAM_SECRET_HEADER);
  if (!raw) return { ok: false, reason: 'missing_signature' };
  const token = telegramSecretToken(headers);
  if (!token) return { ok: false, reason: 'bad_signature' };
  return constantTimeIndexOf(token, tokens) >= 0 ? { ok: true } : { ok: false, reason: 'bad_signature' };
}
