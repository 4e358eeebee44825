/**
 * Google's public signing keys (a JWKS), fetched on demand and kept as long as
 * the response's `Cache-Control: max-age` says (Google rotates them and
 * announces a new key well before signing with it). An unknown `kid` refetches
 * at most once a minute, so a forged `kid` cannot make us hammer the endpoint;
 * when a refresh fails, the keys we already hold keep verifying.
 */
import { importJWK, type CryptoKey, type JWK } from 'jose';

/** The JWKS of the keys that sign Google ID tokens (OIDC discovery of accounts.google.com). */
export const GOOGLE_JWKS_URL = 'https://www.googleapis.com/oauth2/v3/certs';

/** Without a usable max-age; Google sends several hours. */
const DEFAULT_MAX_AGE_S = 3600;
/** However long the server says: a day at most. */
const MAX_MAX_AGE_S = 86_400;
/** An unknown kid refetches no more often than this. */
const REFETCH_COOLDOWN_MS = 60_000;
const FETCH_TIMEOUT_MS = 5_000;

export class KeysUnavailable extends Error {
  override readonly name = 'KeysUnavailable';
}

export interface JwksOptions {
  url: string;
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; injectable so tests move time instead of waiting. */
  now?: () => number;
}

export interface Jwks {
  /** The RS256 key with this id, or undefined when the (fresh) set has none. Throws KeysUnavailable when no set can be had. */
  key(kid: string): Promise<CryptoKey | undefined>;
}

/** Seconds the response may be kept: `max-age` minus `Age`, bounded; `no-store`/`no-cache` keep nothing. */
export function freshSeconds(cacheControl: string | null, age: string | null): number {
  const directives = (cacheControl ?? '').toLowerCase();
  if (/\b(no-store|no-cache)\b/.test(directives)) return 0;
  const maxAge = /\bmax-age=(\d+)/.exec(directives);
  const seconds = maxAge ? Number(maxAge[1]) : DEFAULT_MAX_AGE_S;
  const elapsed = age && /^\d+$/.test(age) ? Number(age) : 0;
  return Math.min(Math.max(seconds - elapsed, 0), MAX_MAX_AGE_S);
}

interface KeySet {
  keys: Map<string, CryptoKey>;
  fetchedAt: number;
  expiresAt: number;
}

export function createJwks(options: JwksOptions): Jwks {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  let current: KeySet | undefined;
  let inFlight: Promise<KeySet> | undefined;
  /** When the last fetch was started, and whether it failed: both throttle refetches. */
  let lastAttempt = { at: Number.NEGATIVE_INFINITY, failed: false };

  async function load(): Promise<KeySet> {
    const res = await doFetch(options.url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!res.ok) throw new KeysUnavailable(`the key set at ${options.url} answered ${res.status}`);
    const body = (await res.json()) as { keys?: unknown };
    if (!Array.isArray(body.keys)) throw new KeysUnavailable(`the key set at ${options.url} has no keys array`);
    const keys = new Map<string, CryptoKey>();
    for (const jwk of body.keys as JWK[]) {
      // Only RSA signing keys can verify RS256; anything else in the set is skipped, not fatal.
      if (!jwk || jwk.kty !== 'RSA' || typeof jwk.kid !== 'string' || (jwk.use && jwk.use !== 'sig')) continue;
      keys.set(jwk.kid, (await importJWK({ ...jwk, alg: 'RS256' }, 'RS256')) as CryptoKey);
    }
    const at = now();
    return { keys, fetchedAt: at, expiresAt: at + freshSeconds(res.headers.get('cache-control'), res.headers.get('age')) * 1000 };
  }

  function refresh(): Promise<KeySet> {
    if (!inFlight) {
      lastAttempt = { at: now(), failed: false };
      inFlight = load()
        .then((set) => (current = set))
        .catch((err: unknown) => {
          lastAttempt.failed = true;
          throw err;
        })
        .finally(() => (inFlight = undefined));
    }
    return inFlight;
  }

  function due(kid: string, t: number): boolean {
    if (!current) return true;
    const cooled = t - lastAttempt.at >= REFETCH_COOLDOWN_MS;
    if (t >= current.expiresAt) return cooled || !lastAttempt.failed;
    return !current.keys.has(kid) && cooled;
  }

  return {
    async key(kid) {
      if (due(kid, now())) {
        try {
          await refresh();
        } catch (err) {
          if (!current)
            throw err instanceof KeysUnavailable ? err : new KeysUnavailable(`could not fetch ${options.url}: ${(err as Error).message}`);
          // Keep verifying with the keys we have; a later request tries again after the cooldown.
        }
      }
      return current?.keys.get(kid);
    },
  };
}
