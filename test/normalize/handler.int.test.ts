/**
 * The normalizer handler's answers to Pub/Sub, through a real HTTP server and
 * the emulators, with real publish failures (a topic the emulator does not
 * have) and a Block registry that fails or does not answer.
 * A 500 makes Pub/Sub redeliver (and finally dead-letter); a 204 acks, which
 * is only right once everything was published.
 */
import * as functions from '@google-cloud/functions-framework';
import { createEnvelopePublisher } from '../../shared/envelope/publish';
import { createNormalizerHandler } from '../../shared/normalize/handler';
import { createRejectionPublisher } from '../../shared/normalize/publish-rejection';
import { staticRouter, boundedRouter, type Router } from '../../shared/normalize/router';
import { rawAttributes } from '../../shared/contracts/raw-message';
import { whatsapp } from '../fixtures/normalize/whatsapp';
import { collect, createTopic, listen, push, type Running } from '../event-log/support';
import { uniqueName } from '../helpers/names';
import { waitFor } from '../helpers/wait';

const EVENTS = uniqueName('nrm-h-events').replace(/_/g, '-');
const REJECTED = uniqueName('nrm-h-rejected').replace(/_/g, '-');
const MISSING = uniqueName('nrm-h-missing').replace(/_/g, '-'); // never created on the emulator
const route = { workspaceId: uniqueName('ws_h'), blockId: 'blk_h' };

/**
 * The Block registry down, as our Router sees it (the Google client is not mocked: these stand in for our own
 * interface). An unreachable Firestore leaves a read pending for about 45 s while the client retries, then fails
 * with UNAVAILABLE: one router never answers, the other fails at once.
 */
const hanging = boundedRouter({ byAccounts: () => new Promise<never>(() => {}), byBlockId: () => new Promise<never>(() => {}) }, 500);
const unavailable = (): Promise<never> => Promise.reject(new Error('14 UNAVAILABLE: No connection established'));
const failing: Router = { byAccounts: unavailable, byBlockId: unavailable };

function register(name: string, router: () => Router, topics: { events: string; rejected: string }): void {
  functions.http(
    name,
    createNormalizerHandler({
      router,
      events: createEnvelopePublisher(topics.events),
      rejections: createRejectionPublisher(topics.rejected),
    }),
  );
}
register('nrmOk', () => staticRouter(route), { events: EVENTS, rejected: REJECTED });
register('nrmEventsDown', () => staticRouter(route), { events: MISSING, rejected: REJECTED });
register('nrmRejectedDown', () => staticRouter(route), { events: EVENTS, rejected: MISSING });
register('nrmRegistryHangs', () => hanging, { events: EVENTS, rejected: REJECTED });
register('nrmRegistryFails', () => failing, { events: EVENTS, rejected: REJECTED });

const servers: Record<string, Running> = {};
let rejected: Awaited<ReturnType<typeof collect>>;

beforeAll(async () => {
  await Promise.all([createTopic(EVENTS), createTopic(REJECTED)]);
  rejected = await collect(REJECTED, `${REJECTED}-watch`);
  for (const name of ['nrmOk', 'nrmEventsDown', 'nrmRejectedDown', 'nrmRegistryHangs', 'nrmRegistryFails'])
    servers[name] = await listen(name);
});
afterAll(async () => {
  await rejected.stop();
  await Promise.all(Object.values(servers).map((s) => s.close()));
});

/** Pushes a raw WhatsApp body to a handler as the webhook-raw push subscription would. */
async function deliver(
  name: string,
  body: string,
  requestId = uniqueName('req'),
): Promise<{ status: number; json: Record<string, unknown> | undefined }> {
  const attributes = rawAttributes({
    platform: 'whatsapp',
    kind: 'webhook',
    received_at: '2026-04-01T00:00:00.000Z',
    request_id: requestId,
    content_type: 'application/json',
  });
  const res = await push((servers[name] as Running).url, { data: body, attributes }, 'normalizer-raw');
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

const text = JSON.stringify(whatsapp.text);
const poison = '{"object":"whatsapp_business_account", "entry": [trunc';

describe('normalizer handler failure paths', () => {
  it('answers 500 when an envelope cannot be published, so Pub/Sub redelivers the raw message', async () => {
    const { status, json } = await deliver('nrmEventsDown', text);
    expect(status).toBe(500);
    expect(json).toMatchObject({ error: 'publish_failed' });
  });

  it('answers 500 when the Block registry cannot be read, rather than calling the events unroutable', async () => {
    const { status, json } = await deliver('nrmRegistryFails', text);
    expect(status).toBe(500);
    expect(json).toMatchObject({ error: 'routing_unavailable' });
    expect(String(json?.message)).toMatch(/Block registry could not be read: 14 UNAVAILABLE/);
  });

  it('answers 500 when the Block registry does not answer within the routing deadline', async () => {
    const { status, json } = await deliver('nrmRegistryHangs', text);
    expect(status).toBe(500);
    expect(json).toMatchObject({ error: 'routing_unavailable' });
    expect(String(json?.message)).toMatch(
      /Block registry could not be read: the lookup of whatsapp account \S+ did not answer within 500 ms/,
    );
  });

  it('acks a poison body (204) once its unparseable rejection is published', async () => {
    const requestId = uniqueName('req-poison');
    const { status } = await deliver('nrmOk', poison, requestId);
    expect(status).toBe(204);
    const m = await waitFor('the poison rejection', async () => rejected.messages.find((r) => r.attributes.request_id === requestId));
    expect(m.attributes).toMatchObject({ reason: 'unparseable', platform: 'whatsapp' });
    expect(JSON.parse(m.data.toString('utf8'))).toMatchObject({ reason: 'unparseable', path: '', raw: poison });
  });

  it('does not ack a poison body whose rejection cannot be published (500)', async () => {
    const { status, json } = await deliver('nrmRejectedDown', poison);
    expect(status).toBe(500);
    expect(json).toMatchObject({ error: 'publish_failed' });
  });

  it('acks a good body (204) when everything was published', async () => {
    expect((await deliver('nrmOk', text)).status).toBe(204);
  });
});
