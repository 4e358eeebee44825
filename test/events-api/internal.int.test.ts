/**
 * Internal events: another Convotic service posts a type no webhook carries;
 * it is validated, given an id and fanned out on `events` like any event, and
 * reaches the log. Platform-webhook types and foreign workspaces are refused.
 */
import type { Envelope } from '../../shared/envelope';
import { serveApiWithLog } from '../event-log/support';
import { uniqueName } from '../helpers/names';
import { checkAnswersConform } from '../helpers/openapi-conformance';
import { waitFor } from '../helpers/wait';
import '../../functions/event-log';
import { MAX_REQUEST_BODY_BYTES } from '../../shared/events-api/app';

const ws = uniqueName('ws_internal');
const topic = uniqueName('events-internal').replace(/_/g, '-');
process.env.EVENTS_TOPIC = topic;
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../../functions/events-api');

const stack = serveApiWithLog('eventsApi', topic);
const conformance = checkAnswersConform();
beforeAll(() => conformance.watch(stack.api.url));

const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${stack.api.url}/workspaces/${ws}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('POST /workspaces/{ws}/events', () => {
  it.each<[string, Record<string, unknown>]>([
    [
      'commerce',
      {
        type: 'commerce.order.fulfilled',
        data: { order: { id: 'o1', status: 'fulfilled', items: [{ name: 'Mug', quantity: 1 }] }, fulfillment: { carrier: 'DHL' } },
      },
    ],
    ['crm', { type: 'crm.deal.stage_changed', data: { deal: { id: 'd1', stage: 'won' }, previous_stage: 'lead' } }],
    [
      'automation',
      {
        type: 'automation.workflow.failed',
        data: { workflow_id: 'wf1', execution_id: 'exe1', error: { code: 'timeout', message: 'step 3 timed out' } },
      },
    ],
    [
      'platform',
      {
        type: 'platform.block.error',
        block_id: 'blk_ig',
        platform: 'instagram',
        data: { error: { code: '190', message: 'token expired' } },
      },
    ],
    ['ptm', { type: 'ptm.notification.clicked', data: { notification_id: 'n1', url: 'https://shop.example/o/1' } }],
    [
      'conversation.closed',
      { type: 'messaging.conversation.closed', data: { conversation_id: 'conv_abc', closed_by: { type: 'agent', id: 'agent7' } } },
    ],
  ])('round-trips a %s event to the log', async (_domain, body) => {
    const res = await post(body);
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const envelope = await waitFor('the event on the topic', async () => {
      const m = stack.published.messages.find((msg) => msg.attributes.event_id === id);
      return m ? (JSON.parse(m.data.toString()) as Envelope) : undefined;
    });
    expect(envelope).toMatchObject({ ...body, id, workspace_id: ws, metadata: { source: 'internal' } });
    expect(envelope.platform).toBe(body.platform ?? 'convotic');
    const logged = await waitFor('the log entry', async () => {
      const r = await fetch(`${stack.api.url}/workspaces/${ws}/events/${id}`);
      return r.status === 200 ? ((await r.json()) as Record<string, unknown>) : undefined;
    });
    expect(logged).toMatchObject({ id, type: body.type, source: 'internal', envelope });
  });

  it('gives the same id to the same idempotency key', async () => {
    const body = { type: 'ptm.notification.sent', data: { notification_id: 'n2' } };
    const a = (await (await post(body, { 'Idempotency-Key': 'ptm-n2' })).json()) as { id: string };
    const b = (await (await post(body, { 'Idempotency-Key': 'ptm-n2' })).json()) as { id: string };
    const c = (await (await post(body, { 'Idempotency-Key': 'ptm-n3' })).json()) as { id: string };
    expect(a.id).toBe(b.id);
    expect(c.id).not.toBe(a.id);
  });

  it.each<[string, unknown, string]>([
    ['a platform-webhook type', { type: 'messaging.message.received', data: {} }, 'type_not_allowed'],
    ['a derived type', { type: 'crm.contact.created', data: {} }, 'type_not_allowed'],
    [
      'another workspace',
      { type: 'ptm.notification.sent', workspace_id: 'ws_someone_else', data: { notification_id: 'n' } },
      'workspace_mismatch',
    ],
    [
      'data off the schema',
      { type: 'commerce.order.created', data: { order: { id: 'o', status: 'lost', items: [] } } },
      'invalid_envelope',
    ],
    ['no type', { data: {} }, 'invalid_body'],
    ['a JSON array', [1, 2], 'invalid_body'],
    [
      'a non-internal source',
      { type: 'ptm.notification.sent', data: { notification_id: 'n' }, metadata: { source: 'webhook' } },
      'invalid_body',
    ],
    // The API gives the id (from the idempotency key, or random): a caller cannot claim another event's id.
    ['an id', { type: 'ptm.notification.sent', id: 'evt_someone_elses_event', data: { notification_id: 'n' } }, 'reserved_field'],
    // Only the normalizer and replay tie an event to a webhook request or another event.
    [
      'a webhook request id',
      { type: 'ptm.notification.sent', data: { notification_id: 'n' }, metadata: { request_id: 'req-of-another-workspace' } },
      'reserved_field',
    ],
    [
      'a webhook batch path',
      { type: 'ptm.notification.sent', data: { notification_id: 'n' }, metadata: { raw_path: 'entry[0].messaging[0]' } },
      'reserved_field',
    ],
    [
      'a replay link',
      { type: 'ptm.notification.sent', data: { notification_id: 'n' }, metadata: { replay_of: 'evt_abc' } },
      'reserved_field',
    ],
  ])('refuses %s with 400 and the reason', async (_name, body, code) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    const answer = (await res.json()) as { code: string; detail: string };
    expect(answer.code).toBe(code);
    expect(answer.detail.length).toBeGreaterThan(10);
  });
});

describe('reserved fields of a posted event', () => {
  it('names each one it refuses, and publishes nothing', async () => {
    const before = stack.published.messages.length;
    const res = await post({
      type: 'crm.deal.created',
      id: 'evt_x',
      data: { deal: { id: 'd', stage: 'lead' } },
      metadata: { request_id: 'r', raw_path: '', replay_of: 'evt_y' },
    });
    expect(res.status).toBe(400);
    const { code, detail } = (await res.json()) as { code: string; detail: string };
    expect(code).toBe('reserved_field');
    for (const field of ['id', 'metadata.request_id', 'metadata.raw_path', 'metadata.replay_of']) expect(detail).toContain(field);
    expect(stack.published.messages.length).toBe(before);
  });
});

describe('a body the framework cannot parse', () => {
  it("gets this API's JSON 400, not Express's HTML page, and publishes nothing", async () => {
    const before = stack.published.messages.length;
    const res = await fetch(`${stack.api.url}/workspaces/${ws}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"type": "crm.deal',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ code: 'malformed_json', type: '/problems/malformed_json', detail: expect.any(String) });
    expect(stack.published.messages.length).toBe(before);
  });
  it('refuses a body over MAX_REQUEST_BODY_BYTES with a JSON 413, and publishes nothing', async () => {
    const before = stack.published.messages.length;
    const body = JSON.stringify({ type: 'crm.deal.created', data: { pad: 'x'.repeat(MAX_REQUEST_BODY_BYTES) } });
    const res = await fetch(`${stack.api.url}/workspaces/${ws}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'body_too_large', status: 413, detail: expect.any(String) });
    expect(stack.published.messages.length).toBe(before);
  });
});
