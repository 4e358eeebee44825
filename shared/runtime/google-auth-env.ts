/**
 * The settings push and caller authentication share: an on/off switch that is
 * on unless set to `off` (only the local stack and tests turn it off: the
 * Pub/Sub emulator sends no token), audiences, whether Cloud Run IAM stands in
 * front, and the JWKS URL (a local fake in tests). A switch that is on with its
 * settings missing is a ConfigError at cold start, never an open door.
 */
import { ConfigError, type Env } from './env';
import { createJwks, GOOGLE_JWKS_URL, type Jwks } from './jwks';
import type { IdTokenFailureReason } from './google-id-token';

/** `on` unless the variable says `off`; anything else is a typo that must not open anything. */
export function authSwitch(name: string, value: string | undefined): boolean {
  const raw = (value ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'on') return true;
  if (raw === 'off') return false;
  throw new ConfigError(name, `${name} must be on or off, got ${JSON.stringify(value)}`);
}

/** A required, comma-separated list of non-empty values. */
export function requiredList(name: string, value: string | undefined, because: string): string[] {
  const values = (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  if (values.length === 0) throw new ConfigError(name, `${name} is required ${because}`);
  return values;
}

/** BEHIND_CLOUD_RUN_IAM: `true` only where Cloud Run's invoker check runs in front (Terraform sets it on private functions). */
export function behindCloudRunIam(env: Env): boolean {
  const raw = (env.BEHIND_CLOUD_RUN_IAM ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new ConfigError(
    'BEHIND_CLOUD_RUN_IAM',
    `BEHIND_CLOUD_RUN_IAM must be true or false, got ${JSON.stringify(env.BEHIND_CLOUD_RUN_IAM)}`,
  );
}

export function jwksUrl(env: Env): string {
  const url = env.GOOGLE_JWKS_URL?.trim() || GOOGLE_JWKS_URL;
  if (!/^https?:\/\//.test(url))
    throw new ConfigError('GOOGLE_JWKS_URL', `GOOGLE_JWKS_URL must be an http(s) URL, got ${JSON.stringify(url)}`);
  return url;
}

const keySets = new Map<string, Jwks>();
/** One key cache per URL and process, shared by push and caller checks. */
export function sharedJwks(url: string): Jwks {
  let jwks = keySets.get(url);
  if (!jwks) keySets.set(url, (jwks = createJwks({ url })));
  return jwks;
}

/** How a token failure is answered: Google's keys being unreachable is ours to retry (503), the rest is the caller's (401). */
export function failureStatus(reason: IdTokenFailureReason): 401 | 503 {
  return reason === 'keys_unavailable' ? 503 : 401;
}
