/**
 * The Meta webhook functions through the real functions-framework server and
 * the Pub/Sub emulator: what a platform sees, and what lands on the topic.
 */
import type { Server } from 'node:http';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { http as registerHttp } from '@google-cloud/functions-framework';
import { request, listen, type HttpRequest } from '../helpers/http-client';
import { createTopicWithSubscription, type TestTopic } from '../helpers/pubsub-emulator';
import { uniqueName } from '../helpers/names';
import { signedRequest, signMetaSha1 } from '../helpers/webhook-signing';

const APP_SECRET = 'meta-app-secret-current';
const PREVIOUS_SECRET = 'meta-app-secret-previous';
const VERIFY_TOKEN = 'meta-verify-token-current';
const PREVIOUS_TOKEN = 'meta-verify-token-previous';
const MAX_BODY = 4096;

let topic: TestTopic;
const servers: Array<{ close: () => Promise<void> }> = [];
const urls: Record<string, string> = {};

const ENTRIES = [
  ['instagram', 'webhookInstagram'],
  ['messenger', 'webhookMessenger'],
  ['whatsapp', 'webhookWhatsapp'],
] as const;

beforeAll(async () => {
  topic = await createTopicWithSubscription('edge-meta');
  process.env.RAW_TOPIC = topic.topic;
  process.env.META_APP_SECRET = `${APP_SECRET},${PREVIOUS_SECRET}`;
  process.env.META_VERIFY_TOKEN = `${VERIFY_TOKEN},${PREVIOUS_TOKEN}`;
  process.env.EDGE_MAX_BODY_BYTES = String(MAX_BODY);
  for (const [platform, entry] of ENTRIES) {
    await import(`../../functions/webhook-${platform}`);
    const running = await listen(getTestServer(entry) as Server);
    servers.push(running);
    urls[platform] = running.baseUrl;
  }
  // The same function publishing to a topic that does not exist: Pub/Sub refuses every publish.
  const { createWebhookFunction } = await import('../../shared/edge/function');
  const { loadEdgeConfig } = await import('../../shared/edge/config');
  const { edge } = await import('../../shared/platforms/instagram/edge');
  registerHttp(
    'webhookMissingTopic',
    createWebhookFunction(edge, { config: { ...loadEdgeConfig('instagram'), rawTopic: uniqueName('absent') } }),
  );
  const broken = await listen(getTestServer('webhookMissingTopic') as Server);
  servers.push(broken);
  urls.broken = broken.baseUrl;
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const BODY =
  '{"object":"instagram","entry":[{"id":"17841405822304914","time":1711878930,"messaging":[{"sender":{"id":"1"},"recipient":{"id":"17841405822304914"},"timestamp":1711878929000,"message":{"mid":"m1","text":"hi"}}]}]}';

function post(platform: string, init: { body?: string | Buffer; headers?: Record<string, string>; path?: string }) {
  return request(urls[platform]!, { method: 'POST', ...init });
}

describe.each(ENTRIES)('%s', (platform) => {
  it('publishes a signed POST as exactly one message with the identical bytes, then answers 200', async () => {
    // Odd spacing and a non-ASCII character: the published bytes must be the received bytes, not re-serialized JSON.
    const body = Buffer.from(`{ "object" : "${platform}",  "entry": [ {"id":"1","time":1,"note":"olá"} ] }`);
    const signed = signedRequest(platform, body, APP_SECRET);
    const res = await post(platform, {
      body: signed.body,
      headers: { ...signed.headers, 'x-cloud-trace-context': `trace${platform}/1;o=1` },
    });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ ok: true, request_id: `trace${platform}` });

    const messages = await topic.pull(1);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.data.equals(body)).toBe(true);
    expect(messages[0]!.attributes).toEqual({
      platform,
      kind: 'webhook',
      request_id: `trace${platform}`,
      received_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      content_type: 'application/json',
      // The webhook's trace (not a valid Cloud trace header here, so a new one) and its receive time, for every later function.
      googclient_traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/),
      origin_received_at: messages[0]!.attributes.received_at,
    });
  });

  it('answers the subscription handshake with the challenge, and publishes nothing for it (no event: it names no Block)', async () => {
    const res = await request(urls[platform]!, {
      path: `/?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`,
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toBe('1158201444');

    const sentinel = signedRequest(platform, `{"object":"${platform}","entry":[],"sentinel":true}`, APP_SECRET);
    const after = await post(platform, { body: sentinel.body, headers: { ...sentinel.headers, 'x-cloud-trace-context': 'after/1' } });
    expect(after.status).toBe(200);
    expect((await topic.pull(1)).map((m) => m.attributes.request_id)).toEqual(['after']);
  });
});

describe('rotation', () => {
  it('accepts a body signed with the previous app secret', async () => {
    const signed = signedRequest('instagram', BODY, PREVIOUS_SECRET);
    expect((await post('instagram', { body: signed.body, headers: signed.headers })).status).toBe(200);
    expect(await topic.pull(1)).toHaveLength(1);
  });

  it('verifies with the previous verify token', async () => {
    const res = await request(urls.instagram!, { path: `/?hub.mode=subscribe&hub.verify_token=${PREVIOUS_TOKEN}&hub.challenge=42` });
    expect(res.status).toBe(200);
    expect(res.text).toBe('42');
  });
});

describe('rejections publish nothing', () => {
  const signed = signedRequest('instagram', BODY, APP_SECRET);
  const big = '{"pad":"' + 'x'.repeat(MAX_BODY) + '"}';
  const bigSigned = signedRequest('instagram', big, APP_SECRET);
  const cases: Array<[string, HttpRequest, number, string | null]> = [
    ['no signature', { method: 'POST', body: signed.body, headers: { 'content-type': 'application/json' } }, 401, 'missing_signature'],
    ['wrong secret', { method: 'POST', ...signedRequest('instagram', BODY, 'not-our-secret') }, 401, 'bad_signature'],
    [
      'legacy sha1 header only',
      {
        method: 'POST',
        body: signed.body,
        headers: { 'content-type': 'application/json', 'x-hub-signature': signMetaSha1(signed.body, APP_SECRET) },
      },
      401,
      'missing_signature',
    ],
    ['body changed after signing', { method: 'POST', body: BODY.replace('hi', 'ho'), headers: signed.headers }, 401, 'bad_signature'],
    ['unknown verify token', { path: '/?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1' }, 403, 'unknown_verify_token'],
    ['handshake without a challenge', { path: `/?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}` }, 400, 'invalid_handshake'],
    [
      'body over the limit (Content-Length)',
      { method: 'POST', body: bigSigned.body, headers: { ...bigSigned.headers, 'content-length': String(bigSigned.body.length) } },
      413,
      'body_too_large',
    ],
    [
      'body over the limit (chunked)',
      { method: 'POST', body: bigSigned.body, headers: { ...bigSigned.headers, 'transfer-encoding': 'chunked' } },
      413,
      'body_too_large',
    ],
    ['PUT', { method: 'PUT', ...signed }, 405, 'method_not_allowed'],
    [
      'text/plain body',
      { method: 'POST', body: signed.body, headers: { ...signed.headers, 'content-type': 'text/plain' } },
      415,
      'unsupported_media_type',
    ],
    [
      'form body',
      { method: 'POST', body: 'a=1', headers: { ...signed.headers, 'content-type': 'application/x-www-form-urlencoded' } },
      415,
      'unsupported_media_type',
    ],
    ['other path', { method: 'POST', path: '/admin', ...signed }, 404, 'not_found'],
    ['a JSON array', { method: 'POST', ...signedRequest('instagram', '[1,2]', APP_SECRET) }, 400, 'malformed_json'],
    // The framework parses an empty JSON body as {}: signed or not, it is no webhook.
    ['an empty signed body', { method: 'POST', ...signedRequest('instagram', '', APP_SECRET) }, 400, 'malformed_json'],
    [
      'a compressed body',
      { method: 'POST', body: signed.body, headers: { ...signed.headers, 'content-encoding': 'gzip' } },
      415,
      'unsupported_media_type',
    ],
    // Refused by the functions-framework's own JSON parser before our handler runs; the body guard answers.
    ['malformed JSON', { method: 'POST', ...signedRequest('instagram', '{"object":', APP_SECRET) }, 400, 'malformed_json'],
  ];

  it.each(cases.map(([name, req, status, error]) => [name, status, error, req] as const))(
    '%s → %i %s',
    async (_name, status, error, req) => {
      const res = await request(urls.instagram!, req);
      expect(res.status).toBe(status);
      if (error !== null) {
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.json()).toEqual({ error, message: expect.any(String) });
      }
    },
  );

  it('405 names the allowed methods', async () => {
    const res = await request(urls.instagram!, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, POST');
  });

  it('none of the rejected requests reached the topic', async () => {
    const sentinel = signedRequest('instagram', '{"object":"instagram","entry":[],"sentinel":true}', APP_SECRET);
    const res = await request(urls.instagram!, {
      method: 'POST',
      ...sentinel,
      headers: { ...sentinel.headers, 'x-cloud-trace-context': 'sentinel/1' },
    });
    expect(res.status).toBe(200);
    const messages = await topic.pull(1);
    expect(messages.map((m) => m.attributes.request_id)).toEqual(['sentinel']);
  });
});

describe('publish failure', () => {
  it('answers 503 so the platform retries', async () => {
    const signed = signedRequest('instagram', BODY, APP_SECRET);
    const res = await request(urls.broken!, { method: 'POST', ...signed });
    expect(res.status).toBe(503);
    expect(res.json()).toEqual({ error: 'publish_failed', message: expect.any(String) });
  });

  it('still answers the handshake, which publishes nothing', async () => {
    const res = await request(urls.broken!, { path: `/?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=7` });
    expect(res.status).toBe(200);
    expect(res.text).toBe('7');
  });
});
