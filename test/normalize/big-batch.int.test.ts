/**
 * The noisy neighbour at the normalizer (docs/capacity.md#noisy-neighbour): a
 * 5,000-item Messenger body is one push, and another workspace's webhook is
 * another push that does not wait for it. The big body's routing is held open
 * (its Block lookup answers only when the test says so) while the small body
 * is pushed: the small one is answered and its envelope published while the
 * big one is still pending, then the big one publishes all of its envelopes
 * before it acks. Real HTTP server, real Pub/Sub emulator.
 */
import * as functions from '@google-cloud/functions-framework';
import { createEnvelopePublisher } from '../../shared/envelope/publish';
import { createNormalizerHandler } from '../../shared/normalize/handler';
import { createRejectionPublisher } from '../../shared/normalize/publish-rejection';
import type { Route } from '../../shared/platform-kit/types';
import type { Router } from '../../shared/normalize/router';
import { rawAttributes } from '../../shared/contracts/raw-message';
import { collect, createTopic, listen, push, type Running } from '../event-log/support';
import { uniqueName } from '../helpers/names';
import { waitFor } from '../helpers/wait';

const EVENTS = uniqueName('nrm-big-events').replace(/_/g, '-');
const REJECTED = uniqueName('nrm-big-rejected').replace(/_/g, '-');
const ITEMS = 5000;
const BIG_PAGE = '105000000000777';
const SMALL_PAGE = '105000000000888';
const BIG: Route = { workspaceId: uniqueName('ws_big'), blockId: 'blk_big' };
const SMALL: Route = { workspaceId: uniqueName('ws_small'), blockId: 'blk_small' };

/** Our Router interface, as the Block registry behind it would answer: the big page's lookup waits for `release`. */
let release!: () => void;
const held = new Promise<void>((resolve) => (release = resolve));
let bigLookups = 0;
const router: Router = {
  byAccounts: (_platform, accounts) => {
    if (!accounts.includes(BIG_PAGE)) return SMALL;
    bigLookups++;
    return held.then(() => BIG);
  },
  byBlockId: () => undefined,
};

functions.http(
  'nrmBigBatch',
  createNormalizerHandler({
    router: () => router,
    events: createEnvelopePublisher(EVENTS),
    rejections: createRejectionPublisher(REJECTED),
  }),
);

function messengerBody(page: string, items: number, tag: string): string {
  const at = Date.parse('2026-12-02T04:00:00.000Z');
  return JSON.stringify({
    object: 'page',
    entry: [
      {
        id: page,
        time: at,
        messaging: Array.from({ length: items }, (_, i) => ({
          sender: { id: `28000000000${i % 50}` },
          recipient: { id: page },
          timestamp: at,
          message: { mid: `m_${tag}_${i}`, text: `hi ${i}` },
        })),
      },
    ],
  });
}

let server: Running;
let events: Awaited<ReturnType<typeof collect>>;

beforeAll(async () => {
  await Promise.all([createTopic(EVENTS), createTopic(REJECTED)]);
  events = await collect(EVENTS, `${EVENTS}-watch`);
  server = await listen('nrmBigBatch');
});
afterAll(async () => {
  release();
  await events.stop();
  await server.close();
});

function deliver(body: string, requestId: string): Promise<Response> {
  const attributes = rawAttributes({
    platform: 'messenger',
    kind: 'webhook',
    received_at: '2026-12-02T04:00:00.000Z',
    request_id: requestId,
    content_type: 'application/json',
  });
  return push(server.url, { data: body, attributes }, 'normalizer');
}

const ofWorkspace = (workspaceId: string) => events.messages.filter((m) => m.attributes.workspace_id === workspaceId);

describe('a 5,000-item body at the normalizer', () => {
  it("does not hold another workspace's push, and acks only once all of its envelopes are published", async () => {
    const big = messengerBody(BIG_PAGE, ITEMS, 'big');
    expect(Buffer.byteLength(big)).toBeGreaterThan(700_000); // the size of the body measured on the local stack (docs/capacity.md)
    let bigAnswered = false;
    const bigPush = deliver(big, uniqueName('req-big')).then((res) => {
      bigAnswered = true;
      return res;
    });
    await waitFor('the big body waiting on its Block lookup', async () => (bigLookups > 0 ? true : undefined));

    const small = await deliver(messengerBody(SMALL_PAGE, 1, 'small'), uniqueName('req-small'));
    expect(small.status).toBe(204);
    // Its envelope is already on `events` (published before the 204), ahead of anything of the big body.
    await waitFor('the small envelope', async () => (ofWorkspace(SMALL.workspaceId).length === 1 ? true : undefined));
    expect(bigAnswered).toBe(false);
    expect(ofWorkspace(BIG.workspaceId)).toHaveLength(0);

    release();
    expect((await bigPush).status).toBe(204);
    const bigEnvelopes = await waitFor(
      'the big body on events',
      async () => {
        const got = ofWorkspace(BIG.workspaceId);
        return got.length >= ITEMS ? got : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(new Set(bigEnvelopes.map((m) => m.attributes.workspace_id))).toEqual(new Set([BIG.workspaceId]));
    expect(new Set(bigEnvelopes.map((m) => JSON.parse(m.data.toString('utf8')).id as string)).size).toBe(ITEMS);
  }, 120_000);
});
