/**
 * Signs webhook requests the way each platform does, written from the platform
 * docs and independent of shared/platforms/* (so a verifier bug is not copied
 * into the tests that check it). Reusable by any test or script that needs to
 * send a genuine-looking webhook.
 */
import { createHmac } from 'node:crypto';

/** Meta: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(body, app secret)>`. */
export function signMeta(body: Buffer | string, appSecret: string): string {
  return 'sha256=' + createHmac('sha256', appSecret).update(body).digest('hex');
}

/** Meta's legacy SHA-1 header value (`X-Hub-Signature`), which we must refuse. */
export function signMetaSha1(body: Buffer | string, appSecret: string): string {
  return 'sha1=' + createHmac('sha1', appSecret).update(body).digest('hex');
}

/** LINE: `X-Line-Signature: <base64 HMAC-SHA256(body, channel secret)>`. */
export function signLine(body: Buffer | string, channelSecret: string): string {
  return createHmac('sha256', channelSecret).update(body).digest('base64');
}

export type SignedPlatform = 'instagram' | 'messenger' | 'whatsapp' | 'line' | 'telegram';

export interface SignedRequest {
  body: Buffer;
  headers: Record<string, string>;
}

/**
 * A valid webhook request for the platform, signed with `secret` (app secret,
 * channel secret, or Telegram secret token). Tests change one thing in it.
 */
export function signedRequest(platform: SignedPlatform, body: Buffer | string | object, secret: string): SignedRequest {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (platform === 'line') headers['x-line-signature'] = signLine(bytes, secret);
  else if (platform === 'telegram') headers['x-telegram-bot-api-secret-token'] = secret;
  else headers['x-hub-signature-256'] = signMeta(bytes, secret);
  return { body: bytes, headers };
}
