/**
 * Fuzz: every webhook function, through the real functions-framework server
 * (getTestServer) and raw sockets, against hostile methods, targets, headers,
 * content types and encodings, bodies and framing. Whatever comes in: no 5xx,
 * every refusal the application writes is JSON with an `error` code, and the
 * function still accepts a valid signed webhook afterwards.
 *
 * Bounded: a fixed seed (FUZZ_SEED to explore others; fast-check prints the
 * seed and path of any failure) and a few hundred runs per function.
 */
import type { Server } from 'node:http';
import fc from 'fast-check';
import { http as registerHttp } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import type { Block, BlockRegistry } from '../../shared/contracts/blocks';
import { loadEdgeConfig } from '../../shared/edge/config';
import { createWebhookFunction } from '../../shared/edge/function';
import type { Platform } from '../../shared/platforms';
import { edge as instagramEdge } from '../../shared/platforms/instagram/edge';
import { edge as lineEdge } from '../../shared/platforms/line/edge';
import { edge as messengerEdge } from '../../shared/platforms/messenger/edge';
import { edge as telegramEdge } from '../../shared/platforms/telegram/edge';
import { edge as whatsappEdge } from '../../shared/platforms/whatsapp/edge';
import type { EdgeAdapter } from '../../shared/platform-kit/types';
import { createLogger } from '../../shared/runtime/log';
import { FUZZ_SEED, expectSurvivesFraming, expectWellBehaved, request as fuzzRequest } from '../helpers/fuzz-requests';
import { listen } from '../helpers/http-client';
import { isJsonError, requestBytes, sendRaw } from '../helpers/raw-http';
import { signedRequest } from '../helpers/webhook-signing';

const SECRET = 'fuzz-secret';
const LINE_BOT = 'Ufuzz0000000000000000000000000000';
const BLOCK: Block = { block_id: 'blk_fuzz', workspace_id: 'ws_fuzz', platform: 'line', account_id: LINE_BOT, status: 'connected' };
const registry: BlockRegistry = {
  byAccount: async (platform, account) => (account === LINE_BOT ? { ...BLOCK, platform } : undefined),
  byTelegramSecretToken: async (token) => (token === SECRET ? { ...BLOCK, platform: 'telegram', account_id: 'bot' } : undefined),
  secrets: async () => ({ line_channel_secrets: [SECRET], telegram_secret_tokens: [SECRET] }),
};

const VALID_BODIES: Record<Platform, string> = {
  instagram: '{"object":"instagram","entry":[]}',
  messenger: '{"object":"page","entry":[]}',
  whatsapp: '{"object":"whatsapp_business_account","entry":[]}',
  line: `{"destination":"${LINE_BOT}","events":[]}`,
  telegram: '{"update_id":1}',
};
const ADAPTERS: Array<[Platform, EdgeAdapter]> = [
  ['instagram', instagramEdge],
  ['messenger', messengerEdge],
  ['whatsapp', whatsappEdge],
  ['line', lineEdge],
  ['telegram', telegramEdge],
];

describe.each(ADAPTERS)('webhook-%s under fuzz', (platform, adapter) => {
  const MAX_BODY = 64 * 1024;
  const published: Buffer[] = [];
  let server: { baseUrl: string; close: () => Promise<void> };
  const signed = signedRequest(platform, VALID_BODIES[platform], SECRET);
  const validHeaders = Object.entries(signed.headers).filter(([k]) => k !== 'content-type');

  async function servesValid(): Promise<void> {
    const answer = await sendRaw(
      server.baseUrl,
      requestBytes({
        method: 'POST',
        target: '/',
        headers: [...Object.entries(signed.headers), ['content-length', String(signed.body.length)]],
        body: signed.body,
      }),
    );
    expect(answer.status).toBe(200);
  }

  beforeAll(async () => {
    const name = `fuzz_${platform}`;
    // Registered (and its body guard installed) just before its own tests: the guard answers for the last installed.
    registerHttp(
      name,
      createWebhookFunction(adapter, {
        config: { ...loadEdgeConfig(platform), appSecrets: [SECRET], verifyTokens: ['vt'], maxBodyBytes: MAX_BODY },
        registry: adapter.needsRegistry ? () => registry : undefined,
        publish: async (data) => {
          published.push(data);
          return String(published.length);
        },
        log: createLogger({ component: `webhook-${platform}` }, { level: 'error', write: () => undefined }),
      }),
    );
    server = await listen(getTestServer(name) as Server);
  });
  afterAll(() => server.close());

  it("answers the attacker's known cases with JSON 4xx", async () => {
    const cases: Array<[string, string, Array<[string, string]>, string, number, string]> = [
      ['POST', '//', [['content-type', 'application/json'], ...validHeaders], VALID_BODIES[platform], 404, 'not_found'],
      ['GET', '//?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=1', [], '', 404, 'not_found'],
      ['OPTIONS', '*', [], '', 404, 'not_found'],
      ['GET', '/favicon.ico', [], '', 404, 'not_found'],
      ['POST', '/%E0%A4%A', [['content-type', 'application/json']], '{}', 404, 'not_found'],
      [
        'POST',
        '/',
        [['content-type', 'application/x-www-form-urlencoded']],
        Array.from({ length: 2000 }, (_, i) => `f${i}=1`).join('&'),
        415,
        'unsupported_media_type',
      ],
      ['POST', '/', [['content-type', 'application/x-www-form-urlencoded']], `a${'[b]'.repeat(40)}=1`, 415, 'unsupported_media_type'],
    ];
    for (const [method, target, headers, body, status, error] of cases) {
      const bytes = Buffer.from(body);
      const answer = await sendRaw(
        server.baseUrl,
        requestBytes({ method, target, headers: [...headers, ['content-length', String(bytes.length)]], body: bytes }),
      );
      expect({ target, status: answer.status, body: answer.body.slice(0, 100) }).toEqual({
        target,
        status,
        body: expect.stringContaining(`"error":"${error}"`),
      });
      expect(isJsonError(answer)).toBe(true);
    }
    await servesValid();
  });

  it("answers in JSON what node's HTTP server would refuse with a bodiless page", async () => {
    const cases: Array<[string, number, string]> = [
      ['GET / HTTP/1.1\r\n\r\n', 400, 'malformed_request'],
      ['POST / HTTP/1.1\r\nhost: x\r\nbad header\r\n\r\n', 400, 'malformed_request'],
      [`GET / HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'headers_too_large'],
      ['POST / HTTP/1.1\r\nhost: x\r\nexpect: teapot\r\ncontent-length: 2\r\n\r\n{}', 417, 'expectation_failed'],
    ];
    for (const [bytes, status, error] of cases) {
      const answer = await sendRaw(server.baseUrl, Buffer.from(bytes), { halfClose: true });
      expect({ request: bytes.slice(0, 40), status: answer.status, body: answer.body }).toEqual({
        request: bytes.slice(0, 40),
        status,
        body: expect.stringContaining(`"error":"${error}"`),
      });
    }
    await servesValid();
  });

  it('answers any request with no 5xx and JSON refusals, and still serves a valid webhook', async () => {
    await fc.assert(
      fc.asyncProperty(
        fuzzRequest({ paths: ['/', `/webhooks/${platform}`, `/webhooks/${platform}/`], validHeaders: [validHeaders] }),
        async (req) => {
          expectWellBehaved(await sendRaw(server.baseUrl, requestBytes(req)), req.method);
        },
      ),
      { seed: FUZZ_SEED, numRuns: 300, endOnFailure: true },
    );
    await servesValid();
  });

  it('survives broken framing: no 5xx, and serves the next valid request', async () => {
    await expectSurvivesFraming(server.baseUrl, servesValid, 40);
  });
});
