/**
 * `npm run events` against the events API on the emulators: ls with a
 * filter, show, replay of one event, a bulk dry run (nothing replayed) and a
 * bulk replay with its progress to the end, tail, a refusal as one line, and
 * an unrouted entry replayed once its Block exists.
 */
import { randomInt } from 'node:crypto';
import * as functions from '@google-cloud/functions-framework';
import { blockStores, saveBlock } from '../../shared/contracts/blocks';
import { createEnvelopePublisher } from '../../shared/envelope/publish';
import { createEventsApi } from '../../shared/events-api/app';
import { internalEnvelope } from '../../shared/events-api/internal-events';
import { renormalizeFresh } from '../../shared/events-api/renormalize';
import { eventLogRef } from '../../shared/event-log/outcomes';
import { getFirestore } from '../../shared/runtime/gcp';
import { parseEventsArgs } from '../../scripts/lib/events-cli';
import { apiClient, runEvents, type EventsIo } from '../../scripts/lib/events-run';
import { createTopic, listen, pushSubscription, type Running } from '../event-log/support';
import { uniqueName } from '../helpers/names';
import { deliverUnrouted, whatsappBody, whatsappMessage } from '../helpers/unrouted';
import { waitFor } from '../helpers/wait';
import '../../functions/event-log';

const ws = uniqueName('ws_cli');
const topic = uniqueName('events-cli').replace(/_/g, '-');
const jobsTopic = uniqueName('replay-jobs-cli').replace(/_/g, '-');
functions.http(
  'eventsCliApi',
  createEventsApi({ publisher: () => createEnvelopePublisher(topic), jobsTopic, renormalizeUnrouted: renormalizeFresh() }),
);

let eventLog: Running;
let api: Running;
const deals = [1, 2, 3].map((n) =>
  internalEnvelope(
    ws,
    { type: 'crm.deal.created', timestamp: `2026-04-01T00:0${n}:00.000Z`, data: { deal: { id: `d${n}`, stage: 'lead' } } },
    `cli-${n}`,
    new Date(),
  ),
);
const order = internalEnvelope(
  ws,
  { type: 'commerce.order.created', timestamp: '2026-04-01T00:05:00.000Z', data: { order: { id: 'o1', status: 'created', items: [] } } },
  'cli-order',
  new Date(),
);

beforeAll(async () => {
  [eventLog, api] = await Promise.all([listen('eventLog'), listen('eventsCliApi')]);
  await Promise.all([createTopic(topic), createTopic(jobsTopic)]);
  await pushSubscription(`${topic}-log`, topic, eventLog.url);
  await pushSubscription(`${jobsTopic}-run`, jobsTopic, api.url);
  for (const e of [...deals, order]) await createEnvelopePublisher(topic).publish(e);
  await waitFor('seed logged', async () => {
    const docs = await Promise.all([...deals, order].map((e) => eventLogRef(getFirestore(), ws, e.id).get()));
    return docs.every((d) => d.get('kind')) ? true : undefined;
  });
});
afterAll(async () => {
  await Promise.all([eventLog.close(), api.close()]);
});

/** Runs `npm run events -- <argv>` in-process; what it printed, and its exit code. */
async function run(argv: string[], signal?: AbortSignal): Promise<{ code: number; out: string; err: string; progress: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const progress: string[] = [];
  const io: EventsIo = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    progress: (t) => progress.push(t),
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 100))),
    ...(signal ? { signal } : {}),
  };
  const cli = parseEventsArgs([...argv, '--workspace', ws]);
  const code = await runEvents(cli, apiClient(new URL(api.url), undefined), io);
  return { code, out: out.join('\n'), err: err.join('\n'), progress };
}

const replaysOf = async (id: string) => ((await eventLogRef(getFirestore(), ws, id).get()).get('replays') as string[] | undefined) ?? [];

it('ls lists the filtered log as a table, newest first; --json gives the API answer', async () => {
  const { code, out } = await run(['ls', '--type', 'crm.deal.created']);
  expect(code).toBe(0);
  const lines = out.split('\n');
  expect(lines[0]).toMatch(/^TIME \(UTC\)\s+ID/);
  expect(lines.slice(1).map((l) => l.split(/\s{2,}/)[1])).toEqual([deals[2]!.id, deals[1]!.id, deals[0]!.id]);
  const json = JSON.parse((await run(['ls', '--filter', 'type=commerce.*', '--json'])).out) as { items: Array<{ id: string }> };
  expect(json.items.map((i) => i.id)).toEqual([order.id]);
});

it('show prints one event with its envelope', async () => {
  const { code, out } = await run(['show', order.id]);
  expect(code).toBe(0);
  expect(out.split('\n')[0]).toBe(`${order.id}  commerce.order.created  processing`);
  expect(out).toContain('"type": "commerce.order.created"');
});

it('a refusal is one line with the status and the problem code', async () => {
  const { code, err } = await run(['show', 'evt_nothing_here']);
  expect(code).toBe(1);
  expect(err).toBe(`404 not_found: no event evt_nothing_here in workspace ${ws}`);
  expect((await run(['ls', '--status', 'done'])).err).toMatch(/^400 invalid_parameter: status must be one of/);
});

it('replay --dry-run counts and replays nothing; without --yes neither', async () => {
  const dry = await run(['replay', '--type', 'crm.deal.created', '--dry-run']);
  expect(dry).toMatchObject({ code: 0, out: '3 event(s) match type=crm.deal.created' });
  const unconfirmed = await run(['replay', '--type', 'crm.deal.created']);
  expect(unconfirmed.out).toContain('nothing replayed: add --yes');
  for (const e of deals) expect(await replaysOf(e.id)).toEqual([]);
});

it('replay --yes runs the job to the end with a progress bar; replay ID replays one', async () => {
  const bulk = await run(['replay', '--type', 'crm.deal.created', '--yes']);
  expect(bulk.code).toBe(0);
  expect(bulk.out).toMatch(/^job rpl_\w+: 3 event\(s\) match type=crm\.deal\.created/);
  expect(bulk.progress.at(-1)).toMatch(/^\[#+\] {2}3\/3 {2}replayed 3 {2}failed 0 {2}completed$/);
  for (const e of deals) expect(await replaysOf(e.id)).toHaveLength(1);

  const one = await run(['replay', order.id, '--key', 'cli-once']);
  expect(one.code).toBe(0);
  expect(one.out).toMatch(new RegExp(`^replayed ${order.id} \\(envelope\\): evt_\\w+$`));
});

it('tail prints the newest events oldest first, one line each, until stopped', async () => {
  const stop = new AbortController();
  const printed: string[] = [];
  const io: EventsIo = {
    out: (t) => {
      printed.push(t);
      if (printed.length === 2) stop.abort();
    },
    err: () => undefined,
    progress: () => undefined,
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 100))),
    signal: stop.signal,
  };
  const code = await runEvents(
    parseEventsArgs(['tail', '--type', 'commerce.order.created', '--limit', '2', '-w', ws]),
    apiClient(new URL(api.url), undefined),
    io,
  );
  expect(code).toBe(0);
  // The original order and its replay (newer by log time, same event time): both shown, each once.
  expect(printed).toHaveLength(2);
  for (const line of printed) expect(line).toMatch(/^2026-04-01 00:05:00 {2}evt_\w+ {2}convotic {2}commerce\.order\.created {2}/);
  expect(new Set(printed.map((l) => l.split('  ')[1])).size).toBe(2);
});

it('unrouted replay ID routes the entry once its Block exists, and says where; before that, why not', async () => {
  const phone = `${Date.now()}${randomInt(100_000, 999_999)}`;
  const body = whatsappBody(phone, [whatsappMessage(uniqueName('wamid.cli'), 'hello')]);
  const [rejection] = (await deliverUnrouted(eventLog.url, 'whatsapp', body, new Date().toISOString())).rejections;
  const id = rejection!.id;

  const early = await run(['unrouted', 'replay', id]);
  expect(early.code).toBe(1);
  expect(early.err).toBe(`409 still_unroutable: unroutable: no connected Block for whatsapp account ${phone}`);

  const block = uniqueName('blk_cli');
  await saveBlock(blockStores(), { block_id: block, workspace_id: ws, platform: 'whatsapp', account_id: phone, status: 'connected' });
  const { code, out } = await run(['unrouted', 'replay', id]);
  expect(code).toBe(0);
  expect(out).toMatch(new RegExp(`^replayed ${id}: routed to ${ws} \\(Block ${block}\\) as evt_\\w+$`));
});
