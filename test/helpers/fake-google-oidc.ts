/**
 * A local stand-in for Google's ID token issuer: an RSA key of our own,
 * published as a JWKS by a loopback server (as https://www.googleapis.com/oauth2/v3/certs
 * publishes Google's, with a Cache-Control max-age), and tokens signed with it
 * carrying the claims Google puts in a Pub/Sub push or a service's ID token.
 * Tests change one thing per case: the key, a claim, the signature.
 */
import http from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { listen } from './http-client';

export interface FakeGoogle {
  /** The JWKS URL (GOOGLE_JWKS_URL). */
  readonly jwksUrl: string;
  /** How many times the key set was fetched. */
  readonly fetches: number;
  /** A token signed with the published key; claims override the defaults (null removes one). */
  token(
    claims?: Partial<Record<keyof GoogleClaims, unknown>>,
    options?: { key?: 'published' | 'unpublished'; kid?: string },
  ): Promise<string>;
  /** The claims a valid token of `email` for `audience` carries, issued now. */
  claims(email: string, audience: string): GoogleClaims;
  /** Max-age the JWKS answers with (seconds). */
  maxAge: number;
  close(): Promise<void>;
}

export interface GoogleClaims extends JWTPayload {
  iss: string;
  aud: string;
  email: string;
  email_verified: boolean;
  exp: number;
  iat: number;
  sub: string;
}

export const KID = 'fake-google-key-1';

export async function startFakeGoogle(defaults: { email: string; audience: string }): Promise<FakeGoogle> {
  const published = await generateKeyPair('RS256', { extractable: true });
  const unpublished = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(published.publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
  let fetches = 0;
  const fake = { maxAge: 3600 };
  const server = http.createServer((req, res) => {
    if (req.url !== '/oauth2/v3/certs') {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': `public, max-age=${fake.maxAge}, must-revalidate` });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  const running = await listen(server);

  const claims = (email: string, audience: string): GoogleClaims => {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: 'https://accounts.google.com',
      aud: audience,
      azp: '100000000000000000001',
      email,
      email_verified: true,
      iat: now,
      exp: now + 3600,
      sub: '100000000000000000001',
    };
  };

  return {
    jwksUrl: `${running.baseUrl}/oauth2/v3/certs`,
    get fetches() {
      return fetches;
    },
    get maxAge() {
      return fake.maxAge;
    },
    set maxAge(seconds: number) {
      fake.maxAge = seconds;
    },
    claims,
    async token(
      overrides: Partial<Record<keyof GoogleClaims, unknown>> = {},
      options: { key?: 'published' | 'unpublished'; kid?: string } = {},
    ) {
      const payload: Record<string, unknown> = { ...claims(defaults.email, defaults.audience), ...overrides };
      for (const [name, value] of Object.entries(payload)) if (value === null) delete payload[name];
      const key: CryptoKey = (options.key === 'unpublished' ? unpublished : published).privateKey;
      return new SignJWT(payload as JWTPayload).setProtectedHeader({ alg: 'RS256', kid: options.kid ?? KID, typ: 'JWT' }).sign(key);
    },
    close: running.close,
  };
}

/** The token as Cloud Run hands it to the container after its IAM check: signature replaced. */
export function stripSignature(token: string): string {
  const [header, payload] = token.split('.');
  return `${header}.${payload}.SIGNATURE_REMOVED_BY_GOOGLE`;
}

/** The token with its payload replaced (the signature no longer matches). */
export function withPayload(token: string, claims: Record<string, unknown>): string {
  const [header, , signature] = token.split('.');
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}
