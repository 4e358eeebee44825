/**
 * GET /workspaces/{ws}/events/{id} shows the platform payload of a webhook
 * event. A Meta or WhatsApp body may batch several workspaces' events (one
 * app serves many pages and phone numbers), so an event shows only its own
 * batch item, found by metadata.raw_path, never the rest of the body.
 */
import * as functions from '@google-cloud/functions-framework';
import { StaticBlockRegistry, type Block } from '../../shared/contracts/blocks';
import type { Envelope } from '../../shared/envelope';
import { createEventsApi } from '../../shared/events-api/app';
import { normalize } from '../../shared/normalize/normalize';
import { registryRouter, staticRouter } from '../../shared/normalize/router';
import { renormalizeWith } from '../../shared/events-api/renormalize';
import { rawAttributes } from '../../shared/contracts/raw-message';
import { envelopeAttributes, listen, push, type Running } from '../event-log/support';
import { uniqueName } from '../helpers/names';
import { checkAnswersConform } from '../helpers/openapi-conformance';
import { waitFor } from '../helpers/wait';
import '../../functions/event-log';

const wsA = uniqueName('ws_shop_a');
const wsB = uniqueName('ws_shop_b');
const blocks: Block[] = [
  { block_id: 'blk_page_a', workspace_id: wsA, platform: 'messenger', account_id: '1100000000000001', status: 'connected' },
  { block_id: 'blk_page_b', workspace_id: wsB, platform: 'messenger', account_id: '1100000000000002', status: 'connected' },
  { block_id: 'blk_wa_a', workspace_id: wsA, platform: 'whatsapp', account_id: '2200000000000001', status: 'connected' },
  { block_id: 'blk_wa_b', workspace_id: wsB, platform: 'whatsapp', account_id: '2200000000000002', status: 'connected' },
];
const router = registryRouter(new StaticBlockRegistry(blocks), async () => undefined);

functions.http(
  'rawItemApi',
  createEventsApi({ renormalize: renormalizeWith(() => staticRouter({ workspaceId: wsA, blockId: 'blk_page_a' })) }),
);

const conformance = checkAnswersConform();
let eventLog: Running;
let api: Running;
beforeAll(async () => {
  [eventLog, api] = await Promise.all([listen('eventLog'), listen('rawItemApi')]);
  conformance.watch(api.url);
});
afterAll(async () => {
  await Promise.all([eventLog.close(), api.close()]);
});

const messaging = (page: string, user: string, mid: string, text: string) => ({
  sender: { id: user },
  recipient: { id: page },
  timestamp: 1775000000123,
  message: { mid, text },
});

/** Stores the body as the raw store gets it from webhook-raw, normalizes it, and logs the envelopes. */
async function deliver(platform: 'messenger' | 'whatsapp', body: unknown): Promise<Envelope[]> {
  const text = JSON.stringify(body);
  // A Meta edge cannot tie a body to one workspace: no workspace_id attribute.
  const attributes = rawAttributes({
    platform,
    kind: 'webhook',
    received_at: '2026-04-01T00:00:00.000Z',
    request_id: uniqueName('req'),
    content_type: 'application/json',
  });
  expect((await push(eventLog.url, { data: text, attributes }, 'event-log-raw')).status).toBe(204);
  const { envelopes, rejections } = await normalize(
    { platform, kind: 'webhook', body: text, receivedAt: attributes.received_at, requestId: attributes.request_id },
    router,
  );
  expect(rejections).toEqual([]);
  for (const envelope of envelopes) {
    expect(
      (await push(eventLog.url, { data: JSON.stringify(envelope), attributes: envelopeAttributes(envelope) }, 'event-log')).status,
    ).toBe(204);
  }
  return envelopes;
}

const shown = (ws: string, id: string) =>
  waitFor(`event ${id} in ${ws}`, async () => {
    const res = await fetch(`${api.url}/workspaces/${ws}/events/${id}`);
    return res.status === 200 ? ((await res.json()) as { raw: { available: boolean; payload?: unknown; note?: string } }) : undefined;
  });

describe('GET /workspaces/{ws}/events/{id}: the raw payload of a batched Meta body', () => {
  it('shows each workspace only its own messaging item of a two-page Messenger batch', async () => {
    const itemA = messaging('1100000000000001', 'user-of-a', uniqueName('m_a'), 'secret order for A');
    const itemB = messaging('1100000000000002', 'user-of-b', uniqueName('m_b'), 'private note for B');
    const [envA, envB] = await deliver('messenger', {
      object: 'page',
      entry: [
        { id: '1100000000000001', time: 1775000000000, messaging: [itemA] },
        { id: '1100000000000002', time: 1775000000000, messaging: [itemB] },
      ],
    });
    expect(envA).toMatchObject({ workspace_id: wsA, metadata: { raw_path: 'entry[0].messaging[0]' } });
    expect(envB).toMatchObject({ workspace_id: wsB, metadata: { raw_path: 'entry[1].messaging[0]' } });

    const a = await shown(wsA, envA!.id);
    expect(a.raw).toEqual({ available: true, payload: itemA });
    expect(JSON.stringify(a)).not.toContain('private note for B');
    expect(JSON.stringify(a)).not.toContain('user-of-b');

    const b = await shown(wsB, envB!.id);
    expect(b.raw).toEqual({ available: true, payload: itemB });
    expect(JSON.stringify(b)).not.toContain('secret order for A');

    // An event is only found in its own workspace.
    expect((await fetch(`${api.url}/workspaces/${wsB}/events/${envA!.id}`)).status).toBe(404);
  });

  it('shows a WhatsApp status only as its own statuses[] item', async () => {
    const change = (phoneNumberId: string, recipient: string, wamid: string) => ({
      field: 'messages',
      value: {
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: '15550000000', phone_number_id: phoneNumberId },
        statuses: [{ id: wamid, status: 'delivered', timestamp: '1775000000', recipient_id: recipient }],
      },
    });
    const changeA = change('2200000000000001', '491510000001', uniqueName('wamid.A'));
    const changeB = change('2200000000000002', '491510000002', uniqueName('wamid.B'));
    const [envA, envB] = await deliver('whatsapp', {
      object: 'whatsapp_business_account',
      entry: [{ id: 'waba', changes: [changeA, changeB] }],
    });
    expect(envA?.metadata.raw_path).toBe('entry[0].changes[0].value.statuses[0]');
    expect(envB?.metadata.raw_path).toBe('entry[0].changes[1].value.statuses[0]');

    const a = await shown(wsA, envA!.id);
    expect(a.raw).toEqual({ available: true, payload: changeA.value.statuses[0] });
    expect(JSON.stringify(a)).not.toContain('491510000002');
  });
});
