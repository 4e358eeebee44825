/**
 * Verifies a Google-signed OpenID Connect ID token: what a Pub/Sub push, Cloud
 * Scheduler or a service calling our private functions sends as
 * `Authorization: Bearer <jwt>`.
 *
 * Two shapes reach a function on Cloud Run:
 *  - a token with its signature: verified fully here (RS256 against Google's
 *    JWKS, then the claims);
 *  - a token whose signature Cloud Run's front end replaced with
 *    `SIGNATURE_REMOVED_BY_GOOGLE`: Cloud Run does this after its IAM invoker
 *    check verified that very token (signature, audience, expiry), so it can
 *    not be replayed elsewhere. It is accepted only where the configuration
 *    says the function sits behind that check (`trustGoogleFrontEnd`), and its
 *    claims are still checked here, the same as a signed token's.
 * The token is read from `X-Serverless-Authorization` when present, else from
 * `Authorization`: Cloud Run checks the former when both are sent and passes
 * the latter through untouched, so the header Google checked is the one read.
 */
import { compactVerify, decodeProtectedHeader, errors as joseErrors } from 'jose';
import { KeysUnavailable, type Jwks } from './jwks';

export const GOOGLE_ISSUERS: readonly string[] = ['https://accounts.google.com', 'accounts.google.com'];
/** What Cloud Run puts in place of the signature of a token its IAM check verified. */
export const SIGNATURE_REMOVED = 'SIGNATURE_REMOVED_BY_GOOGLE';
/** Clock difference tolerated on `exp` and `iat`. */
export const CLOCK_SKEW_S = 60;
/** Google's ID tokens are about 1 KB; anything far larger is not one. */
const MAX_TOKEN_CHARS = 8192;

export type IdTokenFailureReason =
  | 'missing_token'
  | 'malformed_token'
  | 'bad_signature'
  | 'signature_removed_untrusted'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'expired'
  | 'issued_in_future'
  | 'no_verified_email'
  | 'keys_unavailable';

export interface IdTokenFailure {
  ok: false;
  reason: IdTokenFailureReason;
  /** Our own words; never quotes the token. */
  message: string;
}

export interface GoogleIdentity {
  ok: true;
  /** Lower-cased `email` claim (a service account or a Google account), verified by Google. */
  email: string;
  subject: string | undefined;
  /** Who checked the signature: this code, or Cloud Run's front end before it removed it. */
  signature: 'verified' | 'verified_by_google_front_end';
}

export interface IdTokenPolicy {
  /** Accepted `aud` values (one, or a few during a URL change). */
  audiences: readonly string[];
  /** Accept a token whose signature Cloud Run's IAM check verified and removed. Only where that check runs in front. */
  trustGoogleFrontEnd: boolean;
}

export interface IdTokenVerifier {
  verify(token: string | undefined): Promise<GoogleIdentity | IdTokenFailure>;
}

const fail = (reason: IdTokenFailureReason, message: string): IdTokenFailure => ({ ok: false, reason, message });

type Headers = Record<string, string | string[] | undefined>;

/** The bearer token of the header Google's front end checks: X-Serverless-Authorization first, then Authorization. */
export function bearerToken(headers: Headers): string | undefined {
  const raw = headers['x-serverless-authorization'] ?? headers['authorization'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(value);
  return match ? match[1] : '';
}

function decodeSegment(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The claim checks every accepted token passes, whoever verified its signature. */
export function checkClaims(
  payload: unknown,
  policy: IdTokenPolicy,
  nowSeconds: number,
): { ok: true; email: string; subject: string | undefined } | IdTokenFailure {
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return fail('malformed_token', 'the token has no claims object');
  const c = payload as Record<string, unknown>;
  if (typeof c.iss !== 'string' || !GOOGLE_ISSUERS.includes(c.iss)) return fail('wrong_issuer', 'the token was not issued by Google');
  const aud = Array.isArray(c.aud) ? c.aud : [c.aud];
  if (!aud.some((a) => typeof a === 'string' && policy.audiences.includes(a)))
    return fail('wrong_audience', 'the token was issued for another audience');
  if (typeof c.exp !== 'number' || !Number.isFinite(c.exp)) return fail('malformed_token', 'the token has no numeric exp');
  if (typeof c.iat !== 'number' || !Number.isFinite(c.iat)) return fail('malformed_token', 'the token has no numeric iat');
  if (c.exp + CLOCK_SKEW_S <= nowSeconds) return fail('expired', 'the token has expired');
  if (c.iat - CLOCK_SKEW_S > nowSeconds) return fail('issued_in_future', 'the token was issued in the future');
  // Google sends email_verified as a boolean; some older tokens carried the string.
  const verified = c.email_verified === true || c.email_verified === 'true';
  if (typeof c.email !== 'string' || c.email === '' || !verified)
    return fail('no_verified_email', 'the token carries no verified email (mint it with the email claim)');
  return { ok: true, email: c.email.toLowerCase(), subject: typeof c.sub === 'string' ? c.sub : undefined };
}

export function createIdTokenVerifier(policy: IdTokenPolicy, jwks: Jwks, now: () => number = Date.now): IdTokenVerifier {
  if (policy.audiences.length === 0) throw new Error('an ID token verifier needs at least one audience');
  return {
    async verify(token) {
      if (token === undefined) return fail('missing_token', 'no bearer token (Authorization: Bearer <Google ID token>)');
      if (token.length === 0 || token.length > MAX_TOKEN_CHARS) return fail('malformed_token', 'the bearer token is not a JWT');
      const parts = token.split('.');
      if (parts.length !== 3 || !parts[0] || !parts[1]) return fail('malformed_token', 'the bearer token is not a JWT');
      const nowSeconds = Math.floor(now() / 1000);

      if (parts[2] === SIGNATURE_REMOVED) {
        if (!policy.trustGoogleFrontEnd)
          return fail(
            'signature_removed_untrusted',
            'the token has no signature, and this function is not configured as behind Cloud Run IAM',
          );
        const header = decodeSegment(parts[0]) as { alg?: unknown } | undefined;
        if (!header || header.alg !== 'RS256') return fail('malformed_token', 'the token header is not RS256');
        const claims = checkClaims(decodeSegment(parts[1]), policy, nowSeconds);
        return claims.ok ? { ...claims, signature: 'verified_by_google_front_end' } : claims;
      }

      let kid: string | undefined;
      try {
        const header = decodeProtectedHeader(token);
        if (header.alg !== 'RS256') return fail('malformed_token', 'the token is not signed with RS256');
        kid = header.kid;
      } catch {
        return fail('malformed_token', 'the token header cannot be read');
      }
      if (!kid) return fail('bad_signature', 'the token names no signing key');
      let payload: Uint8Array;
      try {
        const key = await jwks.key(kid);
        if (!key) return fail('bad_signature', 'the token is signed by a key Google does not publish');
        ({ payload } = await compactVerify(token, key, { algorithms: ['RS256'] }));
      } catch (err) {
        if (err instanceof KeysUnavailable) return fail('keys_unavailable', "Google's signing keys could not be fetched");
        if (err instanceof joseErrors.JWSSignatureVerificationFailed) return fail('bad_signature', 'the token signature does not verify');
        return fail('malformed_token', 'the token cannot be verified');
      }
      let claimsJson: unknown;
      try {
        claimsJson = JSON.parse(Buffer.from(payload).toString('utf8'));
      } catch {
        return fail('malformed_token', 'the token payload is not JSON');
      }
      const claims = checkClaims(claimsJson, policy, nowSeconds);
      return claims.ok ? { ...claims, signature: 'verified' } : claims;
    },
  };
}
