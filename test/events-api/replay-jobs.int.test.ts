/**
 * Bulk replay jobs: whatever goes wrong with one entry is that entry's
 * result, and the job still runs to the end; a transient failure is retried
 * when the job is posted again; the same Idempotency-Key posted twice at once
 * is one job; a recovery in rounds (`replayed: false`) never replays an entry
 * twice.
 */
import * as functions from '@google-cloud/functions-framework';
import type { Envelope } from '../../shared/envelope';
import { hashId } from '../../shared/envelope/ids';
import { createEnvelopePublisher } from '../../shared/envelope/publish';
import { getFirestore } from '../../shared/runtime/gcp';
import { fromEnvelope } from '../../shared/event-log/entry';
import { eventLogRef, reportOutcome } from '../../shared/event-log/outcomes';
import { writeEntry } from '../../shared/event-log/writer';
import { createEventsApi } from '../../shared/events-api/app';
import { internalEnvelope } from '../../shared/events-api/internal-events';
import { renormalizeWith } from '../../shared/events-api/renormalize';
import { staticRouter } from '../../shared/normalize/router';
import { rawAttributes } from '../../shared/contracts/raw-message';
import type { RejectedItem } from '../../shared/contracts/rejection';
import { createTopic, listen, push, pushSubscription, type Running } from '../event-log/support';
import { uniqueName } from '../helpers/names';
import { waitFor } from '../helpers/wait';
import '../../functions/event-log';

const ws = uniqueName('ws_jobs');
const concurrentWs = uniqueName('ws_jobs_conc');
const outageWs = uniqueName('ws_jobs_outage');
const recoveryWs = uniqueName('ws_jobs_recovery');
const topic = uniqueName('events-jobs').replace(/_/g, '-');

functions.http(
  'replayJobsApi',
  createEventsApi({
    publisher: () => createEnvelopePublisher(topic),
    renormalize: renormalizeWith(() => staticRouter({ workspaceId: ws, blockId: 'blk_tg' })),
  }),
);

/** The same API whose Pub/Sub is down while `pubsubDown` is set: what an outage looks like to a job. */
let pubsubDown = false;
functions.http(
  'replayJobsOutageApi',
  createEventsApi({
    publisher: () => {
      const real = createEnvelopePublisher(topic);
      return {
        publish: async (e) => {
          if (pubsubDown) throw new Error('14 UNAVAILABLE: pubsub is down');
          return real.publish(e);
        },
      };
    },
    renormalize: renormalizeWith(() => staticRouter({ workspaceId: outageWs, blockId: 'blk_tg' })),
  }),
);

let eventLog: Running;
let api: Running;
let outageApi: Running;

beforeAll(async () => {
  [eventLog, api, outageApi] = await Promise.all([listen('eventLog'), listen('replayJobsApi'), listen('replayJobsOutageApi')]);
  await createTopic(topic);
  await pushSubscription(`${topic}-log`, topic, eventLog.url);
});
afterAll(async () => {
  await Promise.all([eventLog.close(), api.close(), outageApi.close()]);
});

const db = () => getFirestore();
const entry = async (w: string, id: string) => (await eventLogRef(db(), w, id).get()).data();
const logged = (w: string, id: string) => waitFor(`entry ${id} logged`, async () => ((await entry(w, id))?.kind ? true : undefined));
const postJob = (w: string, key: string, body: unknown = { filter: {} }) =>
  fetch(`${api.url}/workspaces/${w}/replays`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'Idempotency-Key': key },
    body: JSON.stringify(body),
  });

interface JobView {
  job_id: string;
  status: string;
  total: number;
  done: number;
  replayed: number;
  failed: number;
  results: Record<string, { event_ids?: string[]; error?: string; reason?: string }>;
}

describe('a bulk replay job', () => {
  it('records each entry that cannot be replayed as its result and still completes', async () => {
    // A platform event that cannot be published any more: its stored envelope fails the current schema.
    const broken = {
      ...internalEnvelope(ws, { type: 'crm.deal.created', data: { deal: { id: 'd0', stage: 'lead' } } }, uniqueName('k'), new Date()),
      data: { deal: { id: 'd0' } },
    } as unknown as Envelope;
    await writeEntry(db(), fromEnvelope(broken, { now: new Date(), retentionDays: 30 }));
    // An internal event that replays fine.
    const good = internalEnvelope(
      ws,
      { type: 'crm.deal.created', data: { deal: { id: 'd1', stage: 'lead' } } },
      uniqueName('k'),
      new Date(),
    );
    await createEnvelopePublisher(topic).publish(good);
    // A rejected Telegram update whose stored body the current normalizer maps.
    const update = {
      update_id: 700001,
      message: {
        message_id: 3,
        from: { id: 7, is_bot: false, first_name: 'Bo' },
        chat: { id: 7, type: 'private', first_name: 'Bo' },
        date: 1775000000,
        text: 'hi',
      },
    };
    const attributes = rawAttributes({
      platform: 'telegram',
      kind: 'webhook',
      received_at: '2026-04-01T00:00:00.000Z',
      request_id: uniqueName('req'),
      content_type: 'application/json',
      workspace_id: ws,
      block_id: 'blk_tg',
    });
    expect((await push(eventLog.url, { data: JSON.stringify(update), attributes }, 'event-log-raw')).status).toBe(204);
    const rejected: RejectedItem = {
      id: hashId('rej', [uniqueName('item')]),
      reason: 'unsupported',
      detail: 'no mapping then',
      platform: 'telegram',
      path: '',
      raw: update,
      raw_platform_event_id: '700001',
      workspace_id: ws,
      block_id: 'blk_tg',
      request_id: attributes.request_id as string,
      received_at: attributes.received_at,
      rejected_at: attributes.received_at as string,
    };
    expect((await push(eventLog.url, { data: JSON.stringify(rejected) }, 'event-log-rejected')).status).toBe(204);
    await Promise.all([logged(ws, broken.id), logged(ws, good.id), logged(ws, rejected.id)]);

    const key = uniqueName('bulk');
    const res = await postJob(ws, key);
    expect(res.status).toBe(201);
    const job = (await res.json()) as JobView;
    expect(job).toMatchObject({ status: 'completed_with_errors', total: 3, done: 3, replayed: 2, failed: 1 });
    expect(job.results[broken.id]).toEqual({ error: expect.stringContaining('data'), reason: 'not_publishable' });
    expect(job.results[good.id]?.event_ids).toHaveLength(1);
    expect(job.results[rejected.id]?.event_ids).toHaveLength(1);
    expect((await entry(ws, rejected.id))?.replays).toEqual(job.results[rejected.id]?.event_ids);

    // The job ended: the same key again answers with it, and nothing runs again.
    const again = await postJob(ws, key);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(job);
  }, 60_000);

  it('retries the entries that failed for a transient reason when the same job is posted again', async () => {
    const deals = [1, 2].map((n) =>
      internalEnvelope(outageWs, { type: 'crm.deal.created', data: { deal: { id: `o${n}`, stage: 'lead' } } }, `outage-${n}`, new Date()),
    );
    for (const e of deals) await createEnvelopePublisher(topic).publish(e);
    await Promise.all(deals.map((e) => logged(outageWs, e.id)));
    const post = (key: string) =>
      fetch(`${outageApi.url}/workspaces/${outageWs}/replays`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'Idempotency-Key': key },
        body: JSON.stringify({ filter: {} }),
      });

    const key = uniqueName('outage');
    pubsubDown = true;
    const during = (await (await post(key)).json()) as JobView;
    expect(during).toMatchObject({ status: 'completed_with_errors', total: 2, done: 2, replayed: 0, failed: 2 });
    for (const e of deals) expect(during.results[e.id]).toMatchObject({ reason: 'replay_failed' });

    // Pub/Sub is back: the same job posted again replays what failed, once.
    pubsubDown = false;
    const after = await post(key);
    expect(after.status).toBe(200);
    const job = (await after.json()) as JobView;
    expect(job).toMatchObject({ job_id: during.job_id, status: 'completed', total: 2, done: 2, replayed: 2, failed: 0 });
    for (const e of deals) {
      expect(job.results[e.id]?.event_ids).toHaveLength(1);
      await waitFor(`replay of ${e.id} linked`, async () => ((await entry(outageWs, e.id))?.replays?.length ? true : undefined));
      expect((await entry(outageWs, e.id))?.replays).toEqual(job.results[e.id]?.event_ids);
    }
    // Nothing transient left: posting it once more replays nothing again.
    expect(await (await post(key)).json()).toEqual(job);
  }, 60_000);

  it('is one job when the same Idempotency-Key is posted several times at once', async () => {
    const deals = [1, 2, 3].map((n) =>
      internalEnvelope(concurrentWs, { type: 'crm.deal.created', data: { deal: { id: `c${n}`, stage: 'lead' } } }, `deal-${n}`, new Date()),
    );
    for (const e of deals) await createEnvelopePublisher(topic).publish(e);
    await Promise.all(deals.map((e) => logged(concurrentWs, e.id)));

    const key = uniqueName('same');
    const answers = await Promise.all([1, 2, 3, 4].map(() => postJob(concurrentWs, key)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    const jobs = (await Promise.all(answers.map((r) => r.json()))) as JobView[];
    expect(new Set(jobs.map((j) => j.job_id)).size).toBe(1);

    const read = (await (await fetch(`${api.url}/workspaces/${concurrentWs}/replays/${jobs[0]!.job_id}`)).json()) as JobView;
    expect(read).toMatchObject({ status: 'completed', total: 3, replayed: 3, failed: 0 });
    // However many requests ran it, each event was replayed once (one replay id per job and event).
    for (const e of deals) expect((await entry(concurrentWs, e.id))?.replays).toEqual(read.results[e.id]?.event_ids);
  }, 60_000);

  it('recovers failed entries in rounds without replaying any twice (filter replayed: false)', async () => {
    // Three events that failed in an outage, the third later than the others.
    const times = ['2026-04-01T00:00:00.000Z', '2026-04-01T00:01:00.000Z', '2026-04-01T00:05:00.000Z'];
    const deals = times.map((timestamp, n) =>
      internalEnvelope(
        recoveryWs,
        { type: 'crm.deal.created', timestamp, data: { deal: { id: `r${n}`, stage: 'lead' } } },
        `recovery-${n}`,
        new Date(),
      ),
    );
    for (const e of deals) await createEnvelopePublisher(topic).publish(e);
    await Promise.all(deals.map((e) => logged(recoveryWs, e.id)));
    for (const e of deals)
      await reportOutcome(db(), {
        workspace_id: recoveryWs,
        event_id: e.id,
        consumer: 'triggers',
        status: 'failed',
        attempt: 10,
        error: 'pubsub down',
      });
    const [first, second, third] = deals as [Envelope, Envelope, Envelope];
    for (const e of deals) expect(await entry(recoveryWs, e.id)).toMatchObject({ status: 'failed', replayed: false });

    // Round one covers the first two; their replays are logged in the same workspace as new entries.
    const one = (await (
      await postJob(recoveryWs, uniqueName('round'), { filter: { status: 'failed', replayed: false, to: '2026-04-01T00:03:00.000Z' } })
    ).json()) as JobView;
    expect(one).toMatchObject({ status: 'completed', total: 2, replayed: 2 });
    for (const e of [first, second]) expect(await entry(recoveryWs, e.id)).toMatchObject({ status: 'failed', replayed: true });
    await Promise.all(
      Object.values(one.results)
        .flatMap((r) => r.event_ids ?? [])
        .map((id) => logged(recoveryWs, id)),
    );

    // Round two, over everything: only the entry no round replayed yet (the originals still read failed).
    const two = (await (
      await postJob(recoveryWs, uniqueName('round'), { filter: { status: 'failed', replayed: false } })
    ).json()) as JobView;
    expect(two).toMatchObject({ status: 'completed', total: 1, replayed: 1, filter: { status: 'failed', replayed: 'false' } });
    expect(Object.keys(two.results)).toEqual([third.id]);
    const three = (await (
      await postJob(recoveryWs, uniqueName('round'), { filter: { status: 'failed', replayed: false } })
    ).json()) as JobView;
    expect(three).toMatchObject({ status: 'completed', total: 0 });
  }, 60_000);
});
