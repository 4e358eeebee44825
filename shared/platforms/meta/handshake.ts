/**
 * Meta's subscription verification: `GET ?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C`
 * must be answered 200 with C as the body when T is our verify token.
 */
import { constantTimeIndexOf } from '../../platform-kit/constant-time';
import type { HandshakeOutcome } from '../../platform-kit/types';

/** Meta's challenges are short integers; anything this long is not one and is not echoed. */
const MAX_CHALLENGE_LENGTH = 256;

export function verifyMetaHandshake(query: URLSearchParams, verifyTokens: readonly string[]): HandshakeOutcome {
  const mode = query.get('hub.mode');
  const token = query.get('hub.verify_token');
  const challenge = query.get('hub.challenge');
  if (mode !== 'subscribe' || !token || !challenge || challenge.length > MAX_CHALLENGE_LENGTH) {
    return { ok: false, status: 400, reason: 'invalid_handshake' };
  }
  const tokenIndex = constantTimeIndexOf(token, verifyTokens);
  if (tokenIndex < 0) return { ok: false, status: 403, reason: 'unknown_verify_token' };
  return { ok: true, challenge, tokenIndex };
}
