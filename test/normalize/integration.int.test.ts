/**
 * The normalizer on the emulators, end to end: a raw message published to a
 * raw topic is pushed by a real emulator push subscription to the function
 * (functions-framework test server), and its envelopes / rejections arrive on
 * the events / rejected topics with their attributes.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Message, Subscription } from '@google-cloud/pubsub';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { blockStores, saveBlock } from '../../shared/contracts/blocks';
import { getPubSub } from '../../shared/runtime/gcp';
import { rawAttributes } from '../../shared/contracts/raw-message';
import { validateEnvelope } from '../../shared/envelope';
import { wa } from '../fixtures/normalize/whatsapp';
import { waitFor } from '../helpers/wait';

const suffix = `${process.pid}${Date.now().toString(36)}`;
const RAW = `nrm-raw-${suffix}`;
const EVENTS = `nrm-events-${suffix}`;
const REJECTED = `nrm-rejected-${suffix}`;
const PHONE_ID = `9${Date.now()}`;
const BLOCK = {
  block_id: `blk_nrm_${suffix}`,
  workspace_id: `ws_nrm_${suffix}`,
  platform: 'whatsapp' as const,
  account_id: PHONE_ID,
  status: 'connected' as const,
};

let server: Server;
const received: Record<'events' | 'rejected', Message[]> = { events: [], rejected: [] };
const subscriptions: Subscription[] = [];

function publishRaw(body: string, requestId: string) {
  return getPubSub()
    .topic(RAW)
    .publishMessage({
      data: Buffer.from(body),
      attributes: rawAttributes({
        platform: 'whatsapp',
        received_at: '2024-03-31T10:15:31.000Z',
        request_id: requestId,
        kind: 'webhook',
        content_type: 'application/json',
      }),
    });
}

beforeAll(async () => {
  process.env.EVENTS_TOPIC = EVENTS;
  process.env.REJECTED_TOPIC = REJECTED;
  process.env.BLOCK_CACHE_TTL_MS = '0';
  await saveBlock(blockStores(), BLOCK);
  const pubsub = getPubSub();
  await Promise.all([RAW, EVENTS, REJECTED].map((t) => pubsub.createTopic(t)));

  await import('../../functions/normalizer');
  server = getTestServer('normalizer');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const project = process.env.GOOGLE_CLOUD_PROJECT as string;
  await pubsub.topic(RAW).createSubscription(`${RAW}-push`, {
    pushConfig: { pushEndpoint: `http://127.0.0.1:${port}/projects/${project}/topics/${RAW}` },
    ackDeadlineSeconds: 10,
  });
  for (const [name, key] of [
    [EVENTS, 'events'],
    [REJECTED, 'rejected'],
  ] as const) {
    const [sub] = await pubsub.topic(name).createSubscription(`${name}-pull`);
    sub.on('message', (m: Message) => {
      received[key].push(m);
      m.ack();
    });
    subscriptions.push(sub);
  }
});

afterAll(async () => {
  await Promise.all(subscriptions.map((s) => s.close()));
  await new Promise((r) => server?.close(r));
});

describe('normalizer on the emulators', () => {
  it('turns a pushed raw WhatsApp batch into envelopes on the events topic', async () => {
    const body = wa({
      statuses: [
        { id: 'wamid.INT1', status: 'sent', timestamp: '1711880100', recipient_id: '4915100000001' },
        { id: 'wamid.INT1', status: 'delivered', timestamp: '1711880101', recipient_id: '4915100000001' },
      ],
    });
    const withPhone = JSON.stringify(body).replace(/106000000000001/g, PHONE_ID);
    await publishRaw(withPhone, 'req-int-1');
    const mine = () => received.events.filter((m) => m.attributes.block_id === BLOCK.block_id);
    const messages = await waitFor('two envelopes', () => (mine().length >= 2 ? mine() : undefined));
    const envelopes = messages.map((m) => JSON.parse(m.data.toString('utf8')));
    expect(envelopes.map((e) => e.type).sort()).toEqual(['messaging.message.delivered', 'messaging.message.sent']);
    for (const [i, m] of messages.entries()) {
      expect(validateEnvelope(envelopes[i])).toMatchObject({ ok: true });
      expect(m.attributes).toMatchObject({
        type: envelopes[i].type,
        platform: 'whatsapp',
        workspace_id: BLOCK.workspace_id,
        block_id: BLOCK.block_id,
        event_id: envelopes[i].id,
        'ce-id': envelopes[i].id,
        'ce-specversion': '1.0',
      });
      expect(envelopes[i].metadata).toMatchObject({ request_id: 'req-int-1', raw_platform_event_id: 'wamid.INT1' });
    }
  });

  it('acks a poison message and records it on the rejected topic as unparseable', async () => {
    await publishRaw('{"object":"whatsapp_business_account", truncated', 'req-int-poison');
    const m = await waitFor('the poison rejection', () => received.rejected.find((r) => r.attributes.request_id === 'req-int-poison'));
    expect(m.attributes).toMatchObject({ reason: 'unparseable', platform: 'whatsapp' });
    expect(JSON.parse(m.data.toString('utf8'))).toMatchObject({
      reason: 'unparseable',
      path: '',
      raw: '{"object":"whatsapp_business_account", truncated',
    });
  });

  it('records an event for an unknown phone number as unroutable', async () => {
    const body = JSON.stringify(
      wa({ messages: [{ from: '4915100000002', id: 'wamid.LOST', timestamp: '1711880130', type: 'text', text: { body: 'hello?' } }] }),
    ).replace(/106000000000001/g, `8${PHONE_ID}`);
    await publishRaw(body, 'req-int-unroutable');
    const m = await waitFor('the unroutable rejection', () =>
      received.rejected.find((r) => r.attributes.request_id === 'req-int-unroutable'),
    );
    expect(m.attributes).toMatchObject({ reason: 'unroutable', platform: 'whatsapp' });
    expect(JSON.parse(m.data.toString('utf8'))).toMatchObject({
      reason: 'unroutable',
      path: 'entry[0].changes[0].value.messages[0]',
      raw: { id: 'wamid.LOST' },
    });
  });
});
