/**
 * fast-check arbitraries for hostile HTTP requests, shared by the fuzz suites
 * of the webhook functions and the events-api: methods, request targets,
 * headers, content types and encodings, bodies (including the attacker's
 * known cases) and framing. Every request of `request` is well-formed enough
 * for node's HTTP parser to read it; those of `framing` are not.
 */
import { METHODS } from 'node:http';
import fc from 'fast-check';
import { isJsonError, sendRaw, type RawAnswer, type RawRequest } from './raw-http';

/** A fixed seed, so a run is reproducible; FUZZ_SEED overrides it to explore. fast-check prints the seed and path of a failure. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261202);

const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
/** Every method node's parser knows (it refuses others itself); CONNECT is left to `framing` (it takes the socket over). */
export const method = fc.constantFrom(...METHODS.filter((m) => m !== 'CONNECT'));

/** Characters a request target may carry on the wire (RFC 3986; node's parser refuses the others itself). */
const targetChars = fc.stringMatching(/^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]{0,40}$/);
const deepBrackets = (n: number) => `a${'[b]'.repeat(n)}=1`;

export function target(paths: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(
      ...paths,
      '/',
      '//',
      '///',
      '//evil.example/',
      '*',
      '/favicon.ico',
      '/ROBOTS.TXT',
      '/%',
      '/%E0%A4%A',
      '/%00',
      '/..',
      '/../../etc/passwd',
      '/?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1',
      '//?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=1',
      `/?${deepBrackets(40)}`,
      `/?${Array.from({ length: 2000 }, (_, i) => `f${i}=1`).join('&')}`,
      'http://fuzz.test/',
      'http://[::1/',
      '/#frag',
      `/${'a'.repeat(4000)}`,
    ),
    fc.tuple(fc.constantFrom('/', ...paths), targetChars).map(([base, tail]) => `${base}${tail}`),
    targetChars.map((s) => `/${s}`),
  );
}

export const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=utf-16',
    'application/json; charset=latin1',
    'application/json; charset=bogus',
    'application/cloudevents+json',
    'application/x-www-form-urlencoded',
    'application/x-www-form-urlencoded; charset=bogus',
    'text/plain',
    'text/plain; charset=bogus',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    '*/*',
    ';;;',
    'application/json;;charset',
  ),
  token.map((t) => `${t}/${t}`),
);

export const contentEncoding = fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'IDENTITY', 'x-unknown', 'gzip, identity', ' ');

const headerValue = fc.stringMatching(/^[ -~]{0,60}$/).map((s) => s.trim());
export const extraHeader: fc.Arbitrary<[string, string]> = fc.oneof(
  fc.tuple(
    fc.constantFrom(
      'x-hub-signature-256',
      'x-hub-signature',
      'x-line-signature',
      'x-telegram-bot-api-secret-token',
      'idempotency-key',
      'x-cloud-trace-context',
      'traceparent',
      'expect',
      'accept',
      'accept-encoding',
      'x-forwarded-for',
      'range',
    ),
    headerValue,
  ),
  fc.tuple(token, headerValue),
);

const jsonValue = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v));
/** Bodies: JSON of every shape, near-JSON, binary, and the attacker's forms. */
export const body = fc.oneof(
  fc.constant(''),
  jsonValue,
  fc.constantFrom(
    '{',
    '{"object":',
    '[]',
    'null',
    '"x"',
    '{"object":"martian","entry":[]}',
    '{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}',
    '\uFEFF{}',
    Array.from({ length: 2000 }, (_, i) => `f${i}=1`).join('&'),
    deepBrackets(40),
    'a=1&a=2&b[]=x',
    '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n',
  ),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.string({ maxLength: 200 }),
);

export interface FuzzOptions {
  paths: readonly string[];
  /** Header sets that make a request otherwise valid (a signature, say), mixed in sometimes. */
  validHeaders?: Array<Array<[string, string]>>;
}

/** A request node's HTTP parser accepts, so the application has to answer it. */
export function request(options: FuzzOptions): fc.Arbitrary<RawRequest> {
  return fc
    .record({
      method: method,
      target: target(options.paths),
      contentType: fc.option(contentType, { nil: undefined }),
      contentEncoding: fc.option(contentEncoding, { nil: undefined, freq: 4 }),
      valid: fc.constantFrom<Array<[string, string]>>([], ...(options.validHeaders ?? [])),
      extra: fc.array(extraHeader, { maxLength: 4 }),
      body: body,
      chunked: fc.boolean(),
    })
    .map((r) => {
      const bytes = Buffer.from(r.body, 'utf8');
      const headers: Array<[string, string]> = [...r.valid, ...r.extra];
      if (r.contentType !== undefined) headers.push(['content-type', r.contentType]);
      if (r.contentEncoding !== undefined) headers.push(['content-encoding', r.contentEncoding]);
      const framed = r.chunked
        ? Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from(`\r\n0\r\n\r\n`)])
        : bytes;
      if (r.chunked) headers.push(['transfer-encoding', 'chunked']);
      else headers.push(['content-length', String(bytes.length)]);
      return { method: r.method, target: r.target, headers, body: bytes.length || !r.chunked ? framed : Buffer.from('0\r\n\r\n') };
    });
}

/** Raw bytes with broken framing: bad request lines, header syntax, lengths, chunking, truncation. */
export const framing: fc.Arbitrary<Buffer> = fc.oneof(
  fc
    .constantFrom(
      'OPTIONS * HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n',
      'GET / HTTP/1.0\r\n\r\n',
      'POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\ncontent-length: 6\r\nconnection: close\r\n\r\nhello!',
      'POST / HTTP/1.1\r\nhost: x\r\ncontent-length: -1\r\nconnection: close\r\n\r\n',
      'POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n0\r\n\r\n',
      'POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
      'POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n2\r\n{}',
      'POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\nconnection: close\r\n\r\n{}',
      'POST / HTTP/1.1\r\nhost: x\r\nbad header\r\nconnection: close\r\n\r\n',
      'POST / HTTP/1.1\r\nhost: x\r\nx: a\x00b\r\nconnection: close\r\n\r\n',
      'GET / HTTP/9.9\r\nhost: x\r\n\r\n',
      'POST / HTTP/1.1\r\nhost: x\r\nexpect: teapot\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}',
      'CONNECT fuzz.test:443 HTTP/1.1\r\nhost: fuzz.test:443\r\n\r\n',
      'G\x00T / HTTP/1.1\r\n\r\n',
      '\r\n\r\n',
      `GET /${'a'.repeat(20000)} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`,
      `GET / HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20000)}\r\nconnection: close\r\n\r\n`,
    )
    .map((s) => Buffer.from(s, 'latin1')),
  fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => Buffer.from(b)),
  fc
    .tuple(fc.constantFrom('GET', 'POST'), fc.uint8Array({ maxLength: 120 }))
    .map(([m, b]) => Buffer.concat([Buffer.from(`${m} / HTTP/1.1\r\n`), Buffer.from(b), Buffer.from('\r\n\r\n')])),
);

/** What a well-behaved answer is: not 5xx, and any refusal the application wrote is JSON with an error code (HEAD: has no body). */
export function expectWellBehaved(answer: RawAnswer, method: string): void {
  expect(answer.status).toBeGreaterThan(0);
  expect(answer.status).toBeLessThan(500);
  if (answer.status < 400) return;
  const json = method === 'HEAD' ? /^application\/(problem\+)?json/.test(answer.headers['content-type'] ?? '') : isJsonError(answer);
  expect({ status: answer.status, json, body: answer.body.slice(0, 200) }).toEqual(expect.objectContaining({ json: true }));
}

/** Sends `framing` to the server: no 5xx, JSON refusals, and `servesValid` still passes after each. */
export async function expectSurvivesFraming(baseUrl: string, servesValid: () => Promise<void>, numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(framing, async (bytes) => {
      const answer = await sendRaw(baseUrl, bytes, { halfClose: true });
      // What node's parser cannot read gets JSON too (the body guard arms the framework's server); 0: closed unanswered.
      expect(answer.status).toBeLessThan(500);
      if (answer.status >= 400)
        expect({ status: answer.status, json: isJsonError(answer), body: answer.body.slice(0, 200) }).toEqual(
          expect.objectContaining({ json: true }),
        );
      await servesValid();
    }),
    { seed: FUZZ_SEED, numRuns, endOnFailure: true },
  );
}
