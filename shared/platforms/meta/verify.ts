/**
 * Meta (Instagram, Messenger, WhatsApp) webhook signatures:
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed by the app secret>`.
 *
 * The legacy `X-Hub-Signature` (HMAC-SHA1) header is deliberately not accepted:
 * Meta deprecated it, sends the SHA-256 header alongside it on every delivery,
 * and SHA-1 is the weaker MAC. A request carrying only the legacy header is
 * treated as unsigned (missing_signature).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { singleHeader, type Headers } from '../../platform-kit/headers';
import type { VerifyResult } from '../../platform-kit/types';

export const META_SIGNATURE_HEADER = 'x-hub-signature-256';

/** Meta sends lower-case hex; hex is case-insensitive, so upper case names the same bytes. */
const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

export function metaSignature(rawBody: Buffer, secret: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(rawBody).digest('hex');
}

/** Accepts when the signature matches any of `secrets` (current and previous during a rotation). */
export function verifyMetaSignature(rawBody: Buffer, headers: Headers, secrets: readonly string[]): VerifyResult {
  if (secrets.length === 0) return { ok: false, reason: 'secret_not_configured' };
  const header = singleHeader(headers, META_SIGNATURE_HEADER);
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing_signature' };
  const hex = SIGNATURE.exec(header.trim())?.[1];
  if (!hex) return { ok: false, reason: 'bad_signature' };
  const given = Buffer.from(hex, 'hex');
  let match = false;
  for (const secret of secrets) {
    // Both sides are 32-byte digests; no early exit so timing does not reveal which secret matched.
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    if (timingSafeEqual(given, expected)) match = true;
  }
  return match ? { ok: true } : { ok: false, reason: 'bad_signature' };
}
