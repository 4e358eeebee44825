/**
 * The pipeline without a server: the log line operators alert on, and the
 * branches the functions-framework pre-empts or that need a failing dependency.
 */
import { StaticBlockRegistry, type BlockRegistry } from '../../shared/contracts/blocks';
import { createLogger } from '../../shared/runtime/log';
import { loadEdgeConfig } from '../../shared/edge/config';
import { boundedRegistry } from '../../shared/edge/bounded-registry';
import { handleEdgeRequest, type EdgeDeps, type EdgeRequest } from '../../shared/edge/pipeline';
import type { Platform } from '../../shared/platforms';
import { PLATFORM_MODULES } from '../../shared/platforms/registry';
import { signedRequest } from '../helpers/webhook-signing';

const SECRET = 'pipeline-secret';

function setup(platform: Platform, overrides: Partial<EdgeDeps> = {}) {
  const lines: Array<Record<string, unknown>> = [];
  const published: Array<{ data: Buffer; attributes: Record<string, string> }> = [];
  const deps: EdgeDeps = {
    adapter: PLATFORM_MODULES[platform].edge,
    config: loadEdgeConfig(platform, { META_APP_SECRET: SECRET, META_VERIFY_TOKEN: 'vt' }),
    publish: async (data, attributes) => {
      published.push({ data, attributes });
      return String(published.length);
    },
    registry: undefined,
    log: createLogger({}, { level: 'debug', write: (l) => lines.push(JSON.parse(l)) }),
    now: () => new Date('2026-03-31T10:15:30.000Z'),
    ...overrides,
  };
  return { deps, lines, published };
}

function post(body: string, headers: Record<string, string>): EdgeRequest {
  return { method: 'POST', url: '/', headers, rawBody: Buffer.from(body) };
}

it('logs one line per accepted request with the fields alerts are built on', async () => {
  const { deps, lines, published } = setup('whatsapp');
  const signed = signedRequest('whatsapp', '{"object":"whatsapp_business_account","entry":[]}', SECRET);
  const res = await handleEdgeRequest(
    { method: 'POST', url: '/', headers: { ...signed.headers, 'x-cloud-trace-context': 'abc123/9;o=1' }, rawBody: signed.body },
    deps,
  );
  expect(res.status).toBe(200);
  expect(published).toHaveLength(1);
  expect(published[0]!.attributes.received_at).toBe('2026-03-31T10:15:30.000Z');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({
    severity: 'INFO',
    request_id: 'abc123',
    platform: 'whatsapp',
    outcome: 'accepted',
    status: 200,
    bytes: signed.body.length,
  });
  expect(lines[0]).not.toHaveProperty('reason');
});

it('logs a rejection at WARNING with its reason, and never the secret or signature', async () => {
  const { deps, lines } = setup('instagram');
  const signed = signedRequest('instagram', '{"object":"instagram"}', 'wrong');
  await handleEdgeRequest(post('{"object":"instagram"}', signed.headers), deps);
  expect(lines[0]).toMatchObject({ severity: 'WARNING', outcome: 'rejected', reason: 'bad_signature', status: 401 });
  const text = JSON.stringify(lines);
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain(signed.headers['x-hub-signature-256']!.slice(7));
});

it("answers Meta's verification with the challenge and logs which verify token matched, publishing nothing: it is no event", async () => {
  const { deps, lines, published } = setup('messenger', {
    config: loadEdgeConfig('messenger', { META_APP_SECRET: SECRET, META_VERIFY_TOKEN: 'vt-new,vt-old' }),
  });
  const res = await handleEdgeRequest(
    { method: 'GET', url: '/?hub.mode=subscribe&hub.verify_token=vt-old&hub.challenge=1158201444', headers: {}, rawBody: undefined },
    deps,
  );
  expect(res).toMatchObject({ status: 200, body: '1158201444' });
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  expect(published).toEqual([]);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ severity: 'INFO', outcome: 'handshake', status: 200, verify_token_index: 1 });
  expect(JSON.stringify(lines)).not.toContain('vt-old');
});

it('answers malformed JSON with our JSON 400 when the host did not parse the body first', async () => {
  const { deps, lines, published } = setup('instagram');
  const signed = signedRequest('instagram', '{"object":', SECRET);
  const res = await handleEdgeRequest(post('{"object":', signed.headers), deps);
  expect(res.status).toBe(400);
  expect(JSON.parse(res.body)).toEqual({ error: 'malformed_json', message: expect.any(String) });
  expect(lines[0]).toMatchObject({ reason: 'malformed_json', outcome: 'rejected' });
  expect(published).toHaveLength(0);
});

it('accepts application/json with a utf-8 charset, refuses another charset with 415', async () => {
  const { deps } = setup('instagram');
  const signed = signedRequest('instagram', '{"object":"instagram"}', SECRET);
  const utf8 = await handleEdgeRequest(
    post('{"object":"instagram"}', { ...signed.headers, 'content-type': 'application/json; charset=UTF-8' }),
    deps,
  );
  expect(utf8.status).toBe(200);
  const latin1 = await handleEdgeRequest(
    post('{"object":"instagram"}', { ...signed.headers, 'content-type': 'application/json; charset=iso-8859-1' }),
    deps,
  );
  expect(latin1.status).toBe(415);
});

it('logs ERROR and answers 401 when no app secret is configured (fail closed)', async () => {
  const { deps, lines, published } = setup('messenger', { config: loadEdgeConfig('messenger', {}) });
  const signed = signedRequest('messenger', '{"object":"page"}', SECRET);
  const res = await handleEdgeRequest(post('{"object":"page"}', signed.headers), deps);
  expect(res.status).toBe(401);
  expect(JSON.parse(res.body).error).toBe('bad_signature');
  expect(lines[0]).toMatchObject({ severity: 'ERROR', reason: 'secret_not_configured' });
  expect(published).toHaveLength(0);
});

it('answers 503 (retry) when the Block registry is unavailable', async () => {
  const failing: BlockRegistry = {
    byAccount: async () => {
      throw new Error('UNAVAILABLE: firestore');
    },
    byTelegramSecretToken: async () => undefined,
    secrets: async () => undefined,
  };
  const { deps, lines } = setup('line', { registry: failing });
  const signed = signedRequest('line', '{"destination":"U1","events":[]}', 'x');
  const res = await handleEdgeRequest(post('{"destination":"U1","events":[]}', signed.headers), deps);
  expect(res.status).toBe(503);
  expect(lines[0]).toMatchObject({ severity: 'ERROR', outcome: 'error', reason: 'registry_unavailable' });
});

it('answers 503 when a Block lookup outlasts EDGE_REGISTRY_TIMEOUT_MS, instead of waiting on Firestore', async () => {
  // Firestore retries an unreachable backend for ~45 s: a lookup that never answers stands for it.
  const hanging: BlockRegistry = {
    byAccount: () => new Promise(() => {}),
    byTelegramSecretToken: () => new Promise(() => {}),
    secrets: () => new Promise(() => {}),
  };
  const { deps, lines } = setup('line', { registry: boundedRegistry(hanging, 50) });
  const signed = signedRequest('line', '{"destination":"U1","events":[]}', 'x');
  const res = await handleEdgeRequest(post('{"destination":"U1","events":[]}', signed.headers), deps);
  expect(res.status).toBe(503);
  expect(lines[0]).toMatchObject({
    outcome: 'error',
    reason: 'registry_unavailable',
    error: { message: expect.stringMatching(/within 50 ms/) },
  });
});

it('treats a disconnected Block as unknown: its lingering lookups and secrets authenticate nothing', async () => {
  const registry = new StaticBlockRegistry([
    {
      block_id: 'blk_l',
      workspace_id: 'ws_1',
      platform: 'line',
      account_id: 'U1',
      status: 'disconnected',
      secrets: { line_channel_secrets: ['cs'] },
    },
    {
      block_id: 'blk_t',
      workspace_id: 'ws_1',
      platform: 'telegram',
      account_id: 'bot',
      status: 'disconnected',
      secrets: { telegram_secret_tokens: ['tok_1'] },
    },
  ]);
  const line = setup('line', { registry });
  const signed = signedRequest('line', '{"destination":"U1","events":[]}', 'cs');
  expect((await handleEdgeRequest(post('{"destination":"U1","events":[]}', signed.headers), line.deps)).status).toBe(401);
  expect(line.lines[0]).toMatchObject({ reason: 'unknown_destination' });
  const telegram = setup('telegram', { registry });
  const update = signedRequest('telegram', '{"update_id":1}', 'tok_1');
  expect((await handleEdgeRequest(post('{"update_id":1}', update.headers), telegram.deps)).status).toBe(401);
  expect(telegram.lines[0]).toMatchObject({ reason: 'unknown_secret_token' });
  expect([...line.published, ...telegram.published]).toHaveLength(0);
});

it('answers 503 with outcome error when the publish is not acknowledged', async () => {
  const { deps, lines } = setup('whatsapp', {
    publish: async () => {
      throw new Error('DEADLINE_EXCEEDED');
    },
  });
  const signed = signedRequest('whatsapp', '{"object":"whatsapp_business_account"}', SECRET);
  const res = await handleEdgeRequest(post('{"object":"whatsapp_business_account"}', signed.headers), deps);
  expect(res.status).toBe(503);
  expect(lines[0]).toMatchObject({
    severity: 'ERROR',
    outcome: 'error',
    reason: 'publish_failed',
    error: { message: 'DEADLINE_EXCEEDED' },
  });
});

it('serves the public /webhooks/<platform> path too, and 404s other paths', async () => {
  const { deps } = setup('line', { registry: new StaticBlockRegistry([]) });
  const signed = signedRequest('line', '{"destination":"U1","events":[]}', 'x');
  const at = (url: string) => handleEdgeRequest({ ...post('{"destination":"U1","events":[]}', signed.headers), url }, deps);
  expect((await at('/webhooks/line')).status).toBe(401);
  expect((await at('/webhooks/instagram')).status).toBe(404);
});

it('logs the Block on LINE requests it resolved', async () => {
  const registry = new StaticBlockRegistry([
    {
      block_id: 'blk_1',
      workspace_id: 'ws_1',
      platform: 'line',
      account_id: 'U1',
      status: 'connected',
      secrets: { line_channel_secrets: ['cs'] },
    },
  ]);
  const { deps, lines, published } = setup('line', { registry });
  const signed = signedRequest('line', '{"destination":"U1","events":[]}', 'cs');
  expect((await handleEdgeRequest(post('{"destination":"U1","events":[]}', signed.headers), deps)).status).toBe(200);
  expect(lines[0]).toMatchObject({ block_id: 'blk_1', workspace_id: 'ws_1', outcome: 'accepted' });
  expect(published[0]!.attributes).toMatchObject({ block_id: 'blk_1', workspace_id: 'ws_1' });
});

it.each(['null', '[]', '1', '"x"'])('answers validly signed JSON that is not an object (%s) with 400, publishing nothing', async (body) => {
  const { deps, published } = setup('whatsapp');
  const signed = signedRequest('whatsapp', body, SECRET);
  expect((await handleEdgeRequest(post(body, signed.headers), deps)).status).toBe(400);
  expect(published).toHaveLength(0);
});

it("enforces its own body limit (should the host's guard not be installed): measured and declared sizes", async () => {
  const body = '{"object":"whatsapp_business_account"}';
  const signed = signedRequest('whatsapp', body, SECRET);
  const withLimit = (maxBodyBytes: number) => {
    const s = setup('whatsapp');
    return { ...s, deps: { ...s.deps, config: { ...s.deps.config, maxBodyBytes } } };
  };
  const over = withLimit(body.length - 1);
  expect((await handleEdgeRequest(post(body, signed.headers), over.deps)).status).toBe(413);
  expect(over.published).toHaveLength(0);
  const exact = withLimit(body.length);
  expect((await handleEdgeRequest(post(body, { ...signed.headers, 'content-length': String(body.length) }), exact.deps)).status).toBe(200);
  const declared = withLimit(body.length);
  expect(
    (await handleEdgeRequest(post(body, { ...signed.headers, 'content-length': String(body.length + 1) }), declared.deps)).status,
  ).toBe(413);
  expect(declared.published).toHaveLength(0);
});

it('answers a POST without Content-Type with 415, not an internal error', async () => {
  const { deps, lines } = setup('whatsapp');
  const body = '{"object":"whatsapp_business_account"}';
  const { 'content-type': _type, ...headers } = signedRequest('whatsapp', body, SECRET).headers;
  expect((await handleEdgeRequest(post(body, headers), deps)).status).toBe(415);
  expect(lines[0]).toMatchObject({ severity: 'WARNING', status: 415 });
});

it('sends nosniff and no-store on every answer (a handshake echoes a caller-chosen challenge)', async () => {
  const { deps } = setup('whatsapp');
  const body = '{"object":"whatsapp_business_account"}';
  const signed = signedRequest('whatsapp', body, SECRET);
  const accepted = await handleEdgeRequest(post(body, signed.headers), deps);
  const refused = await handleEdgeRequest(post(body, { ...signed.headers, 'x-hub-signature-256': 'sha256=00' }), deps);
  const handshake = await handleEdgeRequest(
    { method: 'GET', url: '/?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=<b>1</b>', headers: {}, rawBody: undefined },
    deps,
  );
  expect([accepted.status, refused.status, handshake.status]).toEqual([200, 401, 200]);
  for (const res of [accepted, refused, handshake])
    expect(res.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' });
});

it('routes /webhooks/<platform>/ and absolute-form targets with a query to the platform', async () => {
  const body = '{"object":"whatsapp_business_account"}';
  const signed = signedRequest('whatsapp', body, SECRET);
  const at = async (url: string) => (await handleEdgeRequest({ ...post(body, signed.headers), url }, setup('whatsapp').deps)).status;
  expect(await at('/webhooks/whatsapp/')).toBe(200);
  expect(await at('/webhooks/whatsapp?x=1')).toBe(200);
  expect(await at('http://example.com/webhooks/whatsapp?x=1')).toBe(200);
  expect(await at('//webhooks/whatsapp')).toBe(404);
});
