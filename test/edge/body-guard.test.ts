/**
 * The body guard (shared/edge/body-guard.ts) through the real functions-framework
 * server: bodies the framework's own parsers refuse get the edge's JSON answer
 * and log line, and a declared oversize is refused before the body is read.
 */
import net from 'node:net';
import type { Server } from 'node:http';
import { http as registerHttp } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { loadEdgeConfig } from '../../shared/edge/config';
import { createWebhookFunction } from '../../shared/edge/function';
import { edge as whatsappEdge } from '../../shared/platforms/whatsapp/edge';
import { createLogger } from '../../shared/runtime/log';
import { listen, request } from '../helpers/http-client';
import { signedRequest } from '../helpers/webhook-signing';

const APP_SECRET = 'guard-app-secret';
const MAX_BODY = 2048;
const lines: Array<Record<string, unknown>> = [];
const published: Buffer[] = [];
let server: { baseUrl: string; close: () => Promise<void> };

beforeAll(async () => {
  const config = { ...loadEdgeConfig('whatsapp'), appSecrets: [APP_SECRET], verifyTokens: ['vt'], maxBodyBytes: MAX_BODY };
  registerHttp(
    'webhookGuarded',
    createWebhookFunction(whatsappEdge, {
      config,
      publish: async (data) => {
        published.push(data);
        return String(published.length);
      },
      log: createLogger({ component: 'webhook-whatsapp' }, { level: 'debug', write: (l) => lines.push(JSON.parse(l)) }),
    }),
  );
  server = await listen(getTestServer('webhookGuarded') as Server);
});

afterAll(() => server.close());

beforeEach(() => {
  lines.length = 0;
  published.length = 0;
});

const CANARY_BODY = '{"object":"whatsapp_business_account","entry":[]}';
const CANARY_LINE = expect.objectContaining({ request_id: 'canary', outcome: 'accepted', status: 200 });

/**
 * A valid request on a new connection, answered after anything the server still
 * had to do for the one before: once its line is logged, a second answer to
 * that request would already be in `lines`. (Instead of sleeping and hoping.)
 */
async function canary(): Promise<void> {
  const signed = signedRequest('whatsapp', CANARY_BODY, APP_SECRET);
  const res = await request(server.baseUrl, {
    method: 'POST',
    body: signed.body,
    headers: { ...signed.headers, 'x-cloud-trace-context': 'canary/1' },
  });
  expect(res.status).toBe(200);
}

it('answers malformed JSON with the edge JSON 400 and its log line, publishing nothing', async () => {
  const signed = signedRequest('whatsapp', '{"object":', APP_SECRET);
  const res = await request(server.baseUrl, {
    method: 'POST',
    body: signed.body,
    headers: { ...signed.headers, 'x-cloud-trace-context': 'trace-malformed/1' },
  });
  expect(res.status).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.json()).toEqual({ error: 'malformed_json', message: expect.any(String) });
  expect(res.headers['x-request-id']).toBe('trace-malformed');
  expect(lines).toEqual([
    expect.objectContaining({
      severity: 'WARNING',
      platform: 'whatsapp',
      outcome: 'rejected',
      reason: 'malformed_json',
      status: 400,
      request_id: 'trace-malformed',
    }),
  ]);
  expect(published).toHaveLength(0);
});

it('answers a JSON body in a charset the parser refuses with 415 JSON', async () => {
  const signed = signedRequest('whatsapp', '{"object":"whatsapp_business_account","entry":[]}', APP_SECRET);
  const res = await request(server.baseUrl, {
    method: 'POST',
    body: signed.body,
    headers: { ...signed.headers, 'content-type': 'application/json; charset=latin1' },
  });
  expect(res.status).toBe(415);
  expect(res.json()).toEqual({ error: 'unsupported_media_type', message: expect.any(String) });
  expect(lines[0]).toMatchObject({ reason: 'unsupported_media_type' });
});

it('refuses a compressed body with 415 without inflating it, and closes the connection', async () => {
  const { gzipSync } = await import('node:zlib');
  // ~1 KB of gzip that inflates to 1 MB: under MAX_BODY as sent, 500 times past it once inflated.
  const bomb = gzipSync(Buffer.from(`{"pad":"${'x'.repeat(1_000_000)}"}`), { level: 9 });
  expect(bomb.length).toBeLessThan(MAX_BODY);
  const res = await request(server.baseUrl, {
    method: 'POST',
    body: bomb,
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
  });
  expect(res.status).toBe(415);
  expect(res.headers.connection).toBe('close');
  expect(res.json()).toEqual({ error: 'unsupported_media_type', message: expect.any(String) });
  expect(lines).toEqual([expect.objectContaining({ reason: 'unsupported_media_type', status: 415, outcome: 'rejected' })]);
  expect(published).toHaveLength(0);
});

it.each(['identity', ''])('takes Content-Encoding %p as uncompressed', async (encoding) => {
  const body = '{"object":"whatsapp_business_account","entry":[]}';
  const signed = signedRequest('whatsapp', body, APP_SECRET);
  const res = await request(server.baseUrl, {
    method: 'POST',
    body: signed.body,
    headers: { ...signed.headers, 'content-encoding': encoding },
  });
  expect(res.status).toBe(200);
});

it('refuses a declared oversize with 413 before the body is sent, and closes the connection', async () => {
  const { port, hostname } = new URL(server.baseUrl);
  // Only the head and a few bytes of a 50 MB body: without the guard the server would wait for the rest.
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(
        ['POST / HTTP/1.1', `Host: ${hostname}`, 'Content-Type: application/json', 'Content-Length: 50000000', '', '{"pad":"'].join('\r\n'),
      );
    });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => {
      socket.destroy();
      reject(new Error(`no answer to the oversized request; got so far: ${JSON.stringify(text)}`));
    });
  });
  const [head, body] = raw.split('\r\n\r\n');
  expect(head).toMatch(/^HTTP\/1\.1 413 /);
  expect(head).toMatch(/\r\nconnection: close/i);
  expect(JSON.parse(body!)).toEqual({ error: 'body_too_large', message: expect.any(String) });
  expect(lines).toEqual([expect.objectContaining({ reason: 'body_too_large', status: 413, outcome: 'rejected' })]);
});

/** Writes `head` and then `chunks` (as HTTP chunks) on a raw socket, and returns what the server sent before closing. */
function rawChunkedPost(head: string[], chunks: string[], end: boolean): Promise<string> {
  const { port, hostname } = new URL(server.baseUrl);
  return new Promise<string>((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.write([...head, 'Transfer-Encoding: chunked', '', ''].join('\r\n'));
      for (const chunk of chunks) socket.write(`${Buffer.byteLength(chunk).toString(16)}\r\n${chunk}\r\n`);
      if (end) socket.write('0\r\n\r\n');
    });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      // A kept-alive connection stays open after a complete answer: stop once one is in.
      if (end && /\r\n\r\n[\s\S]*\}$/.test(text)) socket.end();
    });
    socket.on('close', () => resolve(text));
    socket.on('error', (err) => (text ? resolve(text) : reject(err)));
    socket.setTimeout(10_000, () => {
      socket.destroy();
      reject(new Error(`no answer; got so far: ${JSON.stringify(text)}`));
    });
  });
}

it('refuses a chunked body once it passes the limit, without waiting for its end, and closes the connection', async () => {
  const { hostname } = new URL(server.baseUrl);
  // Three chunks that pass MAX_BODY together, and no final chunk: the upload is still going when the answer comes.
  const chunk = `"${'x'.repeat(1000)}",`;
  const raw = await rawChunkedPost(
    ['POST / HTTP/1.1', `Host: ${hostname}`, 'Content-Type: application/json'],
    ['{"pad":[', chunk, chunk, chunk],
    false,
  );
  const [head, body] = raw.split('\r\n\r\n');
  expect(head).toMatch(/^HTTP\/1\.1 413 /);
  expect(head).toMatch(/\r\nconnection: close/i);
  expect(JSON.parse(body!)).toEqual({ error: 'body_too_large', message: expect.any(String) });
  // One answer, one log line: the parser's end with the closed connection is not answered again.
  await canary();
  expect(lines).toEqual([expect.objectContaining({ reason: 'body_too_large', status: 413, outcome: 'rejected' }), CANARY_LINE]);
  expect(published).toEqual([Buffer.from(CANARY_BODY)]);
});

it('answers a complete chunked body over the limit once: the function never sees the cut body', async () => {
  const { hostname } = new URL(server.baseUrl);
  // One chunk past the limit, then the end of the body: the parser must not get that end and call the function.
  const raw = await rawChunkedPost(
    ['POST / HTTP/1.1', `Host: ${hostname}`, 'Content-Type: application/json'],
    [`{"pad":"${'x'.repeat(MAX_BODY)}"}`],
    true,
  );
  expect(raw).toMatch(/^HTTP\/1\.1 413 /);
  await canary();
  expect(lines).toEqual([expect.objectContaining({ reason: 'body_too_large', status: 413 }), CANARY_LINE]);
  expect(published).toEqual([Buffer.from(CANARY_BODY)]);
});

it('accepts a chunked body within the limit', async () => {
  const { hostname } = new URL(server.baseUrl);
  const body = '{"object":"whatsapp_business_account","entry":[]}';
  const signed = signedRequest('whatsapp', body, APP_SECRET);
  const headers = Object.entries(signed.headers)
    .filter(([name]) => name.toLowerCase() !== 'content-length')
    .map(([name, value]) => `${name}: ${String(value)}`);
  const raw = await rawChunkedPost(['POST / HTTP/1.1', `Host: ${hostname}`, ...headers], [body.slice(0, 20), body.slice(20)], true);
  expect(raw).toMatch(/^HTTP\/1\.1 200 /);
  expect(published.map(String)).toEqual([body]);
});

it('leaves good requests to the pipeline', async () => {
  const body = '{"object":"whatsapp_business_account","entry":[]}';
  const res = await request(server.baseUrl, { method: 'POST', ...signedRequest('whatsapp', body, APP_SECRET) });
  expect(res.status).toBe(200);
  expect(published.map(String)).toEqual([body]);
  expect(lines).toEqual([expect.objectContaining({ outcome: 'accepted' })]);
});

it('accepts a signed body sent with its Content-Length, as every platform sends it, up to exactly the limit', async () => {
  const body = '{"object":"whatsapp_business_account","entry":[]}';
  const signed = signedRequest('whatsapp', body, APP_SECRET);
  const res = await request(server.baseUrl, {
    method: 'POST',
    body: signed.body,
    headers: { ...signed.headers, 'content-length': String(signed.body.length) },
  });
  expect(res.status).toBe(200);
  expect(published.map(String)).toEqual([body]);

  const prefix = '{"object":"whatsapp_business_account","pad":"';
  const atLimit = prefix + 'x'.repeat(MAX_BODY - prefix.length - 2) + '"}';
  expect(Buffer.byteLength(atLimit)).toBe(MAX_BODY);
  const full = signedRequest('whatsapp', atLimit, APP_SECRET);
  const resFull = await request(server.baseUrl, {
    method: 'POST',
    body: full.body,
    headers: { ...full.headers, 'content-length': String(MAX_BODY) },
  });
  expect(resFull.status).toBe(200);
  expect(published).toHaveLength(2);
});

it('answers malformed JSON sent with its Content-Length with the edge JSON 400 and one log line', async () => {
  const signed = signedRequest('whatsapp', '{"object":', APP_SECRET);
  const res = await request(server.baseUrl, {
    method: 'POST',
    body: signed.body,
    headers: { ...signed.headers, 'content-length': String(signed.body.length) },
  });
  expect(res.status).toBe(400);
  expect(res.json()).toEqual({ error: 'malformed_json', message: expect.any(String) });
  expect(lines).toEqual([expect.objectContaining({ reason: 'malformed_json', status: 400 })]);
  expect(published).toHaveLength(0);
});

it('survives an upload its client abandons mid-body, and answers the next request', async () => {
  const { port, hostname } = new URL(server.baseUrl);
  await new Promise<void>((resolve) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(
        ['POST / HTTP/1.1', `Host: ${hostname}`, 'Content-Type: application/json', 'Content-Length: 100', '', '{"pad":"'].join('\r\n'),
      );
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 100);
    });
  });
  const body = '{"object":"whatsapp_business_account","entry":[]}';
  const res = await request(server.baseUrl, { method: 'POST', ...signedRequest('whatsapp', body, APP_SECRET) });
  expect(res.status).toBe(200);
  expect(published.map(String)).toEqual([body]);
});
