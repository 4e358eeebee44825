/**
 * The Google ID token verifier (shared/runtime/google-id-token.ts) and its key
 * cache (jwks.ts), against a local fake of Google's JWKS: one valid token, then
 * one thing changed per case.
 */
import fc from 'fast-check';
import { bearerToken, CLOCK_SKEW_S, createIdTokenVerifier, type IdTokenPolicy } from '../../shared/runtime/google-id-token';
import { createJwks, freshSeconds } from '../../shared/runtime/jwks';
import { startFakeGoogle, stripSignature, withPayload, type FakeGoogle } from '../helpers/fake-google-oidc';

const AUDIENCE = 'https://europe-west1-proj.cloudfunctions.net/cv-contacts';
const PUSHER = 'cv-push-invoker@proj.iam.gserviceaccount.com';

let google: FakeGoogle;
beforeAll(async () => {
  google = await startFakeGoogle({ email: PUSHER, audience: AUDIENCE });
});
afterAll(() => google.close());

const policy: IdTokenPolicy = { audiences: [AUDIENCE], trustGoogleFrontEnd: false };
const verifier = (p: Partial<IdTokenPolicy> = {}, now?: () => number) =>
  createIdTokenVerifier({ ...policy, ...p }, createJwks({ url: google.jwksUrl, now }), now);
const nowS = () => Math.floor(Date.now() / 1000);

describe('a signed token', () => {
  it('passes with its verified email', async () => {
    await expect(verifier().verify(await google.token())).resolves.toEqual({
      ok: true,
      email: PUSHER,
      subject: '100000000000000000001',
      signature: 'verified',
    });
  });

  it.each<[string, () => Promise<string>, string]>([
    ['signed by a key Google does not publish (same kid)', () => google.token({}, { key: 'unpublished' }), 'bad_signature'],
    ['naming a key id Google does not publish', () => google.token({}, { kid: 'not-a-google-key' }), 'bad_signature'],
    [
      'whose claims were changed after signing',
      async () => withPayload(await google.token(), { ...google.claims('admin@proj.iam.gserviceaccount.com', AUDIENCE) }),
      'bad_signature',
    ],
    ['expired', () => google.token({ exp: nowS() - CLOCK_SKEW_S - 1, iat: nowS() - 3700 }), 'expired'],
    ['issued in the future', () => google.token({ iat: nowS() + CLOCK_SKEW_S + 60 }), 'issued_in_future'],
    ['for another audience', () => google.token({ aud: 'https://europe-west1-proj.cloudfunctions.net/cv-triggers' }), 'wrong_audience'],
    ['from another issuer', () => google.token({ iss: 'https://issuer.example' }), 'wrong_issuer'],
    ['without a verified email', () => google.token({ email_verified: false }), 'no_verified_email'],
    ['without an email', () => google.token({ email: null }), 'no_verified_email'],
    ['without exp', () => google.token({ exp: null }), 'malformed_token'],
    [
      'with its signature removed, where no Cloud Run IAM check is configured',
      async () => stripSignature(await google.token()),
      'signature_removed_untrusted',
    ],
    ['that is not a JWT', async () => 'not-a-jwt', 'malformed_token'],
    ['that is empty', async () => '', 'malformed_token'],
    [
      'unsigned (alg none)',
      async () =>
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(google.claims(PUSHER, AUDIENCE))).toString('base64url')}.`,
      'malformed_token',
    ],
  ])('is refused when %s', async (_case, token, reason) => {
    await expect(verifier().verify(await token())).resolves.toMatchObject({ ok: false, reason });
  });

  it('passes within the clock skew either side', async () => {
    const token = await google.token({ iat: nowS() + CLOCK_SKEW_S - 5, exp: nowS() - CLOCK_SKEW_S + 5 });
    await expect(verifier().verify(token)).resolves.toMatchObject({ ok: true });
  });

  it('is refused as missing when there is no bearer token', async () => {
    await expect(verifier().verify(undefined)).resolves.toMatchObject({ ok: false, reason: 'missing_token' });
  });

  it('accepts one of several audiences', async () => {
    const token = await google.token({ aud: 'https://cv-contacts-123.europe-west1.run.app' });
    await expect(verifier({ audiences: [AUDIENCE, 'https://cv-contacts-123.europe-west1.run.app'] }).verify(token)).resolves.toMatchObject({
      ok: true,
    });
  });
});

describe('a token whose signature Cloud Run removed after its IAM check', () => {
  const trusted = () => verifier({ trustGoogleFrontEnd: true });

  it('passes where the function is configured as behind Cloud Run IAM, its claims checked', async () => {
    await expect(trusted().verify(stripSignature(await google.token()))).resolves.toEqual({
      ok: true,
      email: PUSHER,
      subject: '100000000000000000001',
      signature: 'verified_by_google_front_end',
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['for another audience', { aud: 'https://elsewhere.example' }, 'wrong_audience'],
    ['expired', { exp: Math.floor(Date.now() / 1000) - 3600 }, 'expired'],
    ['from another issuer', { iss: 'https://issuer.example' }, 'wrong_issuer'],
    ['without a verified email', { email_verified: null }, 'no_verified_email'],
  ])('is still refused when %s', async (_case, claims, reason) => {
    await expect(trusted().verify(stripSignature(await google.token(claims)))).resolves.toMatchObject({ ok: false, reason });
  });
});

describe('any bearer value', () => {
  // A throw would become a 500 (and a retried push): every input must come back as a refusal instead.
  const segment = fc.oneof(
    fc.string(),
    fc.json().map((j) => Buffer.from(j).toString('base64url')),
    fc.constantFrom('', 'SIGNATURE_REMOVED_BY_GOOGLE', Buffer.from('{"alg":"RS256","kid":"fake-google-key-1"}').toString('base64url')),
  );
  const token = fc.oneof(
    fc.string({ maxLength: 9000 }),
    fc.tuple(segment, segment, segment).map((parts) => parts.join('.')),
  );

  it('is refused with a reason, never thrown, whether or not Cloud Run IAM is trusted', async () => {
    const verifiers = [verifier(), verifier({ trustGoogleFrontEnd: true })];
    await fc.assert(
      fc.asyncProperty(token, async (t) => {
        for (const v of verifiers) {
          const result = await v.verify(t);
          expect(result.ok).toBe(false);
          expect(typeof (result as { reason: string }).reason).toBe('string');
        }
      }),
      { numRuns: 300, seed: 18 },
    );
  });
});

describe('bearerToken', () => {
  it('reads the header Cloud Run checks: X-Serverless-Authorization before Authorization', () => {
    expect(bearerToken({ authorization: 'Bearer a.b.c' })).toBe('a.b.c');
    expect(bearerToken({ authorization: 'bearer a.b.c' })).toBe('a.b.c');
    expect(bearerToken({ authorization: 'Bearer a.b.c', 'x-serverless-authorization': 'Bearer x.y.z' })).toBe('x.y.z');
    expect(bearerToken({})).toBeUndefined();
    expect(bearerToken({ authorization: 'Basic dXNlcjpwYXNz' })).toBe('');
  });
});

describe("Google's keys", () => {
  it('are fetched once and kept for the max-age the JWKS answers with', async () => {
    let now = Date.now();
    const v = verifier({}, () => now);
    const before = google.fetches;
    await expect(v.verify(await google.token())).resolves.toMatchObject({ ok: true });
    await expect(v.verify(await google.token())).resolves.toMatchObject({ ok: true });
    expect(google.fetches - before).toBe(1);
    now += google.maxAge * 1000 + 1;
    await expect(v.verify(await google.token())).resolves.toMatchObject({ ok: true });
    expect(google.fetches - before).toBe(2);
  });

  it('are not refetched for every unknown key id (at most once a minute)', async () => {
    let now = Date.now();
    const v = verifier({}, () => now);
    await v.verify(await google.token());
    const before = google.fetches;
    for (let i = 0; i < 5; i++)
      await expect(v.verify(await google.token({}, { kid: `forged-${i}` }))).resolves.toMatchObject({ reason: 'bad_signature' });
    expect(google.fetches - before).toBe(0);
    now += 61_000;
    await v.verify(await google.token({}, { kid: 'forged-later' }));
    await v.verify(await google.token({}, { kid: 'forged-later-again' }));
    expect(google.fetches - before).toBe(1);
  });

  it('that cannot be fetched make the verification unavailable, not a refusal of the caller', async () => {
    const v = createIdTokenVerifier(policy, createJwks({ url: 'http://127.0.0.1:9/certs' }));
    await expect(v.verify(await google.token())).resolves.toMatchObject({ ok: false, reason: 'keys_unavailable' });
  });

  it.each<[string | null, string | null, number]>([
    ['public, max-age=22549, must-revalidate, no-transform', null, 22549],
    ['max-age=600', '100', 500],
    [null, null, 3600],
    ['no-store', null, 0],
    ['max-age=9999999', null, 86400],
  ])('Cache-Control %j with Age %j keeps them %d s', (cacheControl, age, seconds) => {
    expect(freshSeconds(cacheControl, age)).toBe(seconds);
  });
});
