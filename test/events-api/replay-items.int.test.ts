/**
 * Replay picks exactly the log entry's own item out of the stored webhook
 * body: a rejected item (`rej_`) or a failed body (`raw_`) becomes events
 * that name the entry they replay, and one event of an update that made
 * several (a Telegram reaction update: emojis added and removed under one
 * update_id) is replayed alone. A replay shows a webhook payload only when
 * what it replays came from that webhook.
 */
import * as functions from '@google-cloud/functions-framework';
import type { Envelope } from '../../shared/envelope';
import { hashId } from '../../shared/envelope/ids';
import { createEnvelopePublisher } from '../../shared/envelope/publish';
import { getFirestore } from '../../shared/runtime/gcp';
import { eventLogRef } from '../../shared/event-log/outcomes';
import { rawMessageId } from '../../shared/event-log/raw-store';
import { createEventsApi } from '../../shared/events-api/app';
import { renormalizeWith } from '../../shared/events-api/renormalize';
import { normalize } from '../../shared/normalize/normalize';
import { staticRouter } from '../../shared/normalize/router';
import { rawAttributes } from '../../shared/contracts/raw-message';
import type { RejectedItem } from '../../shared/contracts/rejection';
import { envelopeAttributes, push, serveApiWithLog } from '../event-log/support';
import { uniqueName } from '../helpers/names';
import { checkAnswersConform } from '../helpers/openapi-conformance';
import { waitFor } from '../helpers/wait';
import '../../functions/event-log';

const ws = uniqueName('ws_items');
const callerWs = uniqueName('ws_caller');
const topic = uniqueName('events-items').replace(/_/g, '-');
const route = { workspaceId: ws, blockId: 'blk_tg' };

functions.http(
  'replayItemsApi',
  createEventsApi({
    publisher: () => createEnvelopePublisher(topic),
    renormalize: renormalizeWith(() => staticRouter(route)),
  }),
);

const stack = serveApiWithLog('replayItemsApi', topic);
const conformance = checkAnswersConform();
beforeAll(() => conformance.watch(stack.api.url));

const db = () => getFirestore();
const entry = async (w: string, id: string) => (await eventLogRef(db(), w, id).get()).data();
const logged = (w: string, id: string) =>
  waitFor(`entry ${id} logged`, async () => ((await entry(w, id))?.kind ? entry(w, id) : undefined));
const publishedEnvelope = (id: string) =>
  waitFor(`event ${id} on the topic`, async () => {
    const m = stack.published.messages.find((msg) => msg.attributes.event_id === id);
    return m ? (JSON.parse(m.data.toString()) as Envelope) : undefined;
  });
const replay = async (w: string, id: string) => {
  const res = await fetch(`${stack.api.url}/workspaces/${w}/events/${id}/replay`, { method: 'POST' });
  return { status: res.status, body: (await res.json()) as { mode?: string; event_ids: string[]; error?: string; message?: string } };
};

/** Stores a Telegram update in the raw store, as webhook-raw delivers it; returns its attributes. */
async function storeTelegram(update: Record<string, unknown>) {
  const attributes = rawAttributes({
    platform: 'telegram',
    kind: 'webhook',
    received_at: '2026-04-01T00:00:00.000Z',
    request_id: uniqueName('req'),
    content_type: 'application/json',
    workspace_id: ws,
    block_id: 'blk_tg',
  });
  expect((await push(stack.eventLog.url, { data: JSON.stringify(update), attributes }, 'event-log-raw')).status).toBe(204);
  return attributes;
}

const textUpdate = (text: string) => ({
  update_id: Number(BigInt.asUintN(31, BigInt(Date.now()) * 7n + BigInt(Math.floor(Math.random() * 1000)))),
  message: {
    message_id: 9,
    from: { id: 42, is_bot: false, first_name: 'Ann' },
    chat: { id: 42, type: 'private', first_name: 'Ann' },
    date: 1775000000,
    text,
  },
});

describe('replaying a rejected item or a failed webhook body', () => {
  it('turns a rejected item that has no platform event id into an event naming the rejected entry', async () => {
    const update = textUpdate('now mapped');
    const attributes = await storeTelegram(update);
    // As an older normalizer rejected the whole update: no raw_platform_event_id on the item.
    const item: RejectedItem = {
      id: hashId('rej', [uniqueName('item')]),
      reason: 'unsupported',
      detail: 'message.text had no mapping',
      platform: 'telegram',
      path: '',
      raw: update,
      workspace_id: ws,
      block_id: 'blk_tg',
      request_id: attributes.request_id,
      received_at: attributes.received_at,
      rejected_at: attributes.received_at as string,
    };
    expect(
      (await push(stack.eventLog.url, { data: JSON.stringify(item), attributes: { platform: 'telegram' } }, 'event-log-rejected')).status,
    ).toBe(204);
    await logged(ws, item.id);

    const { status, body } = await replay(ws, item.id);
    expect(status).toBe(202);
    expect(body).toMatchObject({ mode: 'renormalized', replay_of: item.id });
    expect(body.event_ids).toHaveLength(1);
    const replayed = await publishedEnvelope(body.event_ids[0] as string);
    expect(replayed).toMatchObject({ type: 'messaging.message.received', metadata: { source: 'replay', replay_of_entry: item.id } });
    // replay_of names events only; a rejected item is none.
    expect(replayed.metadata.replay_of).toBeUndefined();

    const shown = await waitFor('the replay in the log', async () => {
      const res = await fetch(`${stack.api.url}/workspaces/${ws}/events/${replayed.id}`);
      return res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined;
    });
    expect(shown).toMatchObject({ replay_of: item.id, source: 'replay' });
    expect(shown.raw).toEqual({ available: true, payload: update });
    expect((await entry(ws, item.id))?.replays).toEqual([replayed.id]);
  });

  it('turns a webhook body the normalizer gave up on into its events, naming the raw entry', async () => {
    const update = textUpdate('body once failed');
    const attributes = await storeTelegram(update);
    const deadLetter = {
      ...attributes,
      CloudPubSubDeadLetterSourceSubscription: 'normalizer',
      CloudPubSubDeadLetterSourceDeliveryCount: '10',
    };
    expect(
      (await push(stack.eventLog.url, { data: JSON.stringify(update), attributes: deadLetter }, 'event-log-raw-dead-letter')).status,
    ).toBe(204);
    const rawId = rawMessageId('telegram', attributes.request_id as string);
    expect(await logged(ws, rawId)).toMatchObject({ kind: 'raw', status: 'failed' });

    const { status, body } = await replay(ws, rawId);
    expect(status).toBe(202);
    expect(body.event_ids).toHaveLength(1);
    const replayed = await publishedEnvelope(body.event_ids[0] as string);
    expect(replayed.metadata).toMatchObject({ source: 'replay', replay_of_entry: rawId });
    expect((await logged(ws, replayed.id))?.replay_of).toBe(rawId);
  });
});

describe('replaying one of several events of one webhook item', () => {
  it('republishes only the replayed event of a Telegram reaction update, not its siblings', async () => {
    const update = {
      update_id: Number(BigInt.asUintN(31, BigInt(Date.now()) * 11n)),
      message_reaction: {
        chat: { id: 42, type: 'private', first_name: 'Ann' },
        message_id: 9,
        user: { id: 42, is_bot: false, first_name: 'Ann' },
        date: 1775000000,
        old_reaction: [{ type: 'emoji', emoji: '🔥' }],
        new_reaction: [
          { type: 'emoji', emoji: '👍' },
          { type: 'emoji', emoji: '❤' },
        ],
      },
    };
    const attributes = await storeTelegram(update);
    const { envelopes } = await normalize(
      {
        platform: 'telegram',
        kind: 'webhook',
        body: JSON.stringify(update),
        receivedAt: attributes.received_at,
        requestId: attributes.request_id,
        blockId: 'blk_tg',
        workspaceId: ws,
      },
      staticRouter(route),
    );
    expect(envelopes.map((e) => e.type).sort()).toEqual([
      'messaging.reaction.added',
      'messaging.reaction.added',
      'messaging.reaction.removed',
    ]);
    for (const e of envelopes) {
      expect((await push(stack.eventLog.url, { data: JSON.stringify(e), attributes: envelopeAttributes(e) }, 'event-log')).status).toBe(
        204,
      );
      await logged(ws, e.id);
    }
    const emoji = (e: Envelope) => (e.data as { reaction: { emoji?: string } }).reaction.emoji;

    for (const original of envelopes) {
      const { status, body } = await replay(ws, original.id);
      expect(status).toBe(202);
      expect(body.event_ids).toHaveLength(1);
      const replayed = await publishedEnvelope(body.event_ids[0] as string);
      expect(replayed.type).toBe(original.type);
      expect(emoji(replayed)).toBe(emoji(original));
      expect(replayed.metadata).toMatchObject({
        replay_of: original.id,
        replay_of_entry: original.id,
        raw_path: original.metadata.raw_path,
      });
    }
  });
});

describe('the raw payload of a replayed event', () => {
  it("never shows another workspace's webhook item through a replay of an event no webhook carried", async () => {
    // Another workspace's Messenger body in the raw store (Meta bodies are tied to no workspace).
    const secret = uniqueName('secret of the other workspace');
    const requestId = uniqueName('req');
    const body = {
      object: 'page',
      entry: [
        {
          id: '1100000000000009',
          time: 1775000000000,
          messaging: [
            {
              sender: { id: 'u9' },
              recipient: { id: '1100000000000009' },
              timestamp: 1775000000123,
              message: { mid: uniqueName('m'), text: secret },
            },
          ],
        },
      ],
    };
    const attributes = rawAttributes({
      platform: 'messenger',
      kind: 'webhook',
      received_at: '2026-04-01T00:00:00.000Z',
      request_id: requestId,
      content_type: 'application/json',
    });
    expect((await push(stack.eventLog.url, { data: JSON.stringify(body), attributes }, 'event-log-raw')).status).toBe(204);

    // An internal event naming that request (as the API accepted them before it refused webhook metadata).
    const original = {
      id: hashId('evt', [uniqueName('internal')]),
      type: 'crm.deal.created',
      workspace_id: callerWs,
      block_id: null,
      platform: 'messenger',
      timestamp: '2026-04-01T00:00:00.000Z',
      data: { deal: { id: 'd1', stage: 'lead' } },
      metadata: { raw_platform_event_id: 'd1', source: 'internal', request_id: requestId, raw_path: 'entry[0].messaging[0]' },
    } as Envelope;
    await createEnvelopePublisher(topic).publish(original);
    await logged(callerWs, original.id);

    const { status, body: outcome } = await replay(callerWs, original.id);
    expect(status).toBe(202);
    const replayId = outcome.event_ids[0] as string;
    const shown = await waitFor('the replay in the log', async () => {
      const res = await fetch(`${stack.api.url}/workspaces/${callerWs}/events/${replayId}`);
      return res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined;
    });
    expect(shown).toMatchObject({ replay_of: original.id, source: 'replay', raw: { available: false } });
    expect(JSON.stringify(shown)).not.toContain(secret);
  });
});
