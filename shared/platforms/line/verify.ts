/**
 * LINE webhook signatures: `X-Line-Signature: <base64 HMAC-SHA256 of the raw
 * body, keyed by the channel secret>`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { singleHeader, type Headers } from '../../platform-kit/headers';
import type { VerifyResult } from '../../platform-kit/types';

export const LINE_SIGNATURE_HEADER = 'x-line-signature';

/** Canonical base64 of 32 bytes. Node's decoder skips invalid characters, so the shape is checked first. */
const SIGNATURE = /^[A-Za-z0-9+/]{43}=$/;

export function lineSignature(rawBody: Buffer, channelSecret: string): string {
  return createHmac('sha256', channelSecret).update(rawBody).digest('base64');
}

/** Accepts when the signature matches any of the Block's channel secrets (current, previous). */
export function verifyLineSignature(rawBody: Buffer, headers: Headers, secrets: readonly string[]): VerifyResult {
  if (secrets.length === 0) return { ok: false, reason: 'secret_not_configured' };
  const header = singleHeader(headers, LINE_SIGNATURE_HEADER)?.trim();
  if (!header) return { ok: false, reason: 'missing_signature' };
  if (!SIGNATURE.test(header)) return { ok: false, reason: 'bad_signature' };
  const given = Buffer.from(header, 'base64');
  let match = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    if (timingSafeEqual(given, expected)) match = true;
  }
  return match ? { ok: true } : { ok: false, reason: 'bad_signature' };
}
