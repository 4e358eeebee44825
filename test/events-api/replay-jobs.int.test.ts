/**
 * Bulk replay jobs: the post answers 202 with Location and the job queued,
 * and the job runs when its message is pushed back to the API (as topology.json
 * wires it); whatever goes wrong with one entry is that entry's result, and
 * the job still runs to the end; a transient failure is retried when the job
 * is posted again; the same Idempotency-Key posted several times at once is
 * one job; a job whose message failed to publish runs when posted again; a
 * recovery in rounds (`replayed: false`) never replays an entry
 * twice; a dry run counts and replays nothing; an empty filter needs
 * confirm_all. Every answer is held to the OpenAPI document.
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
import { checkAnswersConform } from '../helpers/openapi-conformance';
import '../../functions/event-log';

const conformance = checkAnswersConform();

const ws = uniqueName('ws_jobs');
const concurrentWs = uniqueName('ws_jobs_conc');
const outageWs = uniqueName('ws_jobs_outage');
const recoveryWs = uniqueName('ws_jobs_recovery');
const dryWs = uniqueName('ws_jobs_dry');
const topic = uniqueName('events-jobs').replace(/_/g, '-');
const jobsTopic = uniqueName('replay-jobs').replace(/_/g, '-');
const outageJobsTopic = uniqueName('replay-jobs-outage').replace(/_/g, '-');
const lateWs = uniqueName('ws_jobs_late');
/** Created only during its test: until then every job message published to it fails (NOT_FOUND). */
const lateJobsTopic = uniqueName('replay-jobs-late').replace(/_/g, '-');

functions.http(
  'replayJobsApi',
  createEventsApi({
    publisher: () => createEnvelopePublisher(topic),
    renormalize: renormalizeWith(() => staticRouter({ workspaceId: ws, blockId: 'blk_tg' })),
    jobsTopic,
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
    jobsTopic: outageJobsTopic,
  }),
);

functions.http(
  'replayJobsLateApi',
  createEventsApi({
    publisher: () => createEnvelopePublisher(topic),
    renormalize: renormalizeWith(() => staticRouter({ workspaceId: lateWs, blockId: 'blk_tg' })),
    jobsTopic: lateJobsTopic,
  }),
);

let eventLog: Running;
let api: Running;
let outageApi: Running;
let lateApi: Running;

beforeAll(async () => {
  [eventLog, api, outageApi, lateApi] = await Promise.all([
    listen('eventLog'),
    listen('replayJobsApi'),
    listen('replayJobsOutageApi'),
    listen('replayJobsLateApi'),
  ]);
  conformance.watch(api.url);
  conformance.watch(outageApi.url);
  conformance.watch(lateApi.url);
  await Promise.all([createTopic(topic), createTopic(jobsTopic), createTopic(outageJobsTopic)]);
  await pushSubscription(`${topic}-log`, topic, eventLog.url);
  // As topology.json's events-api-replay-jobs: each API's job messages pushed back to it.
  await pushSubscription(`${jobsTopic}-run`, jobsTopic, api.url);
  await pushSubscription(`${outageJobsTopic}-run`, outageJobsTopic, outageApi.url);
});
afterAll(async () => {
  await Promise.all([eventLog.close(), api.close(), outageApi.close(), lateApi.close()]);
});

const db = () => getFirestore();
const entry = async (w: string, id: string) => (await eventLogRef(db(), w, id).get()).data();
const logged = (w: string, id: string) => waitFor(`entry ${id} logged`, async () => ((await entry(w, id))?.kind ? true : undefined));
const postJob = (w: string, key: string, body: unknown = { filter: {}, confirm_all: true }, base = api.url) =>
  fetch(`${base}/workspaces/${w}/replays`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'Idempotency-Key': key },
    body: JSON.stringify(body),
  });

const FINISHED = ['completed', 'completed_with_errors'];
/** The job once its run has ended (as `status`, when given), read as a caller would: GET /replays/{job}. */
const finished = (w: string, jobId: string, status?: string, base = api.url) =>
  waitFor(`job ${jobId} ${status ?? 'finished'}`, async () => {
    const job = (await (await fetch(`${base}/workspaces/${w}/replays/${jobId}`)).json()) as JobView;
    return (status ? job.status === status : FINISHED.includes(job.status)) ? job : undefined;
  });
/** Posts a job and waits for its run to end. */
const runJob = async (w: string, key: string, body?: unknown) => {
  const res = await postJob(w, key, body);
  expect(res.status).toBe(202);
  const queued = (await res.json()) as JobView;
  return finished(w, queued.job_id);
};

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
    expect(res.status).toBe(202);
    const queued = (await res.json()) as JobView;
    // The request only stores the job, with the matching entries fixed; its run is a push of its own.
    expect(queued).toMatchObject({ status: 'queued', total: 3, done: 0 });
    expect(res.headers.get('location')).toBe(`/workspaces/${ws}/replays/${queued.job_id}`);
    const job = await finished(ws, queued.job_id);
    expect(job).toMatchObject({ status: 'completed_with_errors', total: 3, done: 3, replayed: 2, failed: 1 });
    expect(job.results[broken.id]).toEqual({ error: expect.stringContaining('data'), reason: 'not_publishable' });
    expect(job.results[good.id]?.event_ids).toHaveLength(1);
    expect(job.results[rejected.id]?.event_ids).toHaveLength(1);
    expect((await entry(ws, rejected.id))?.replays).toEqual(job.results[rejected.id]?.event_ids);

    // The job ended: the same key again answers with it, and nothing runs again.
    const again = await postJob(ws, key);
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual(job);
  }, 60_000);

  it('retries the entries that failed for a transient reason when the same job is posted again', async () => {
    const deals = [1, 2].map((n) =>
      internalEnvelope(outageWs, { type: 'crm.deal.created', data: { deal: { id: `o${n}`, stage: 'lead' } } }, `outage-${n}`, new Date()),
    );
    for (const e of deals) await createEnvelopePublisher(topic).publish(e);
    await Promise.all(deals.map((e) => logged(outageWs, e.id)));
    const post = async (key: string) => {
      const res = await postJob(outageWs, key, { filter: { platform: 'convotic' } }, outageApi.url);
      expect(res.status).toBe(202);
      return (await res.json()) as JobView;
    };

    const key = uniqueName('outage');
    pubsubDown = true;
    const posted = await post(key);
    const during = await finished(outageWs, posted.job_id, undefined, outageApi.url);
    expect(during).toMatchObject({ status: 'completed_with_errors', total: 2, done: 2, replayed: 0, failed: 2 });
    for (const e of deals) expect(during.results[e.id]).toMatchObject({ reason: 'replay_failed' });

    // Pub/Sub is back: the same job posted again replays what failed, once.
    pubsubDown = false;
    expect((await post(key)).job_id).toBe(during.job_id);
    const job = await finished(outageWs, during.job_id, 'completed', outageApi.url);
    expect(job).toMatchObject({ job_id: during.job_id, status: 'completed', total: 2, done: 2, replayed: 2, failed: 0 });
    for (const e of deals) {
      expect(job.results[e.id]?.event_ids).toHaveLength(1);
      await waitFor(`replay of ${e.id} linked`, async () => ((await entry(outageWs, e.id))?.replays?.length ? true : undefined));
      expect((await entry(outageWs, e.id))?.replays).toEqual(job.results[e.id]?.event_ids);
    }
    // Nothing transient left: posting it once more replays nothing again.
    expect(await post(key)).toEqual(job);
  }, 60_000);

  it('runs a job whose message failed to publish when it is posted again', async () => {
    const deal = internalEnvelope(lateWs, { type: 'crm.deal.created', data: { deal: { id: 'l1', stage: 'lead' } } }, 'late-1', new Date());
    await createEnvelopePublisher(topic).publish(deal);
    await logged(lateWs, deal.id);

    // The job topic is missing: the job is stored, its message is not published, and the caller is told to retry.
    const key = uniqueName('late');
    const refused = await postJob(lateWs, key, undefined, lateApi.url);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await refused.json()).toMatchObject({ code: 'job_not_started', status: 503 });

    // The topic is back: the same key at once (the job fresh and still queued) publishes it, and it runs.
    await createTopic(lateJobsTopic);
    await pushSubscription(`${lateJobsTopic}-run`, lateJobsTopic, lateApi.url);
    const again = await postJob(lateWs, key, undefined, lateApi.url);
    expect(again.status).toBe(202);
    const queued = (await again.json()) as JobView;
    expect(queued.status).toBe('queued');
    const job = await finished(lateWs, queued.job_id, 'completed', lateApi.url);
    expect(job).toMatchObject({ total: 1, replayed: 1, failed: 0 });
  }, 60_000);

  it('is one job when the same Idempotency-Key is posted several times at once', async () => {
    const deals = [1, 2, 3].map((n) =>
      internalEnvelope(concurrentWs, { type: 'crm.deal.created', data: { deal: { id: `c${n}`, stage: 'lead' } } }, `deal-${n}`, new Date()),
    );
    for (const e of deals) await createEnvelopePublisher(topic).publish(e);
    await Promise.all(deals.map((e) => logged(concurrentWs, e.id)));

    const key = uniqueName('same');
    const answers = await Promise.all([1, 2, 3, 4].map(() => postJob(concurrentWs, key)));
    expect(answers.map((r) => r.status)).toEqual([202, 202, 202, 202]);
    const jobs = (await Promise.all(answers.map((r) => r.json()))) as JobView[];
    expect(new Set(jobs.map((j) => j.job_id)).size).toBe(1);

    const read = await finished(concurrentWs, jobs[0]!.job_id);
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
    const one = await runJob(recoveryWs, uniqueName('round'), {
      filter: { status: 'failed', replayed: false, to: '2026-04-01T00:03:00.000Z' },
    });
    expect(one).toMatchObject({ status: 'completed', total: 2, replayed: 2 });
    for (const e of [first, second]) expect(await entry(recoveryWs, e.id)).toMatchObject({ status: 'failed', replayed: true });
    await Promise.all(
      Object.values(one.results)
        .flatMap((r) => r.event_ids ?? [])
        .map((id) => logged(recoveryWs, id)),
    );

    // Round two, over everything: only the entry no round replayed yet (the originals still read failed).
    const two = await runJob(recoveryWs, uniqueName('round'), { filter: { status: 'failed', replayed: false } });
    expect(two).toMatchObject({ status: 'completed', total: 1, replayed: 1, filter: { status: 'failed', replayed: 'false' } });
    expect(Object.keys(two.results)).toEqual([third.id]);
    const three = await runJob(recoveryWs, uniqueName('round'), { filter: { status: 'failed', replayed: false } });
    expect(three).toMatchObject({ status: 'completed', total: 0 });
  }, 60_000);

  describe('before anything is replayed', () => {
    const deals = [1, 2, 3].map((n) =>
      internalEnvelope(dryWs, { type: 'crm.deal.created', data: { deal: { id: `y${n}`, stage: 'lead' } } }, `dry-${n}`, new Date()),
    );
    beforeAll(async () => {
      for (const e of deals) await createEnvelopePublisher(topic).publish(e);
      await Promise.all(deals.map((e) => logged(dryWs, e.id)));
    });
    const replays = async () => Promise.all(deals.map(async (e) => ((await entry(dryWs, e.id))?.replays as string[] | undefined) ?? []));

    it('a dry run counts the matching events (up to max_events + 1) and replays nothing', async () => {
      const res = await postJob(dryWs, uniqueName('dry'), { filter: { type: 'crm.deal.created' }, dry_run: true });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        dry_run: true,
        matching: 3,
        max_events: 500,
        too_many: false,
        filter: { type: 'crm.deal.created' },
      });
      const capped = await postJob(dryWs, uniqueName('dry'), { filter: {}, dry_run: true, max_events: 1 });
      expect(await capped.json()).toMatchObject({ matching: 2, max_events: 1, too_many: true, filter: {} });
      expect(await replays()).toEqual([[], [], []]);
    });

    it('refuses an empty filter unless confirm_all, and more matches than max_events', async () => {
      for (const body of [{}, { filter: {} }, { filter: {}, confirm_all: false }]) {
        const res = await postJob(dryWs, uniqueName('empty'), body);
        expect(res.status).toBe(400);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(await res.json()).toMatchObject({ code: 'empty_filter', type: '/problems/empty_filter', status: 400 });
      }
      const tooMany = await postJob(dryWs, uniqueName('many'), { filter: { platform: 'convotic' }, max_events: 2 });
      expect(tooMany.status).toBe(400);
      expect(await tooMany.json()).toMatchObject({ code: 'too_many_events' });
      expect(await replays()).toEqual([[], [], []]);
      // Confirmed, the whole log is replayed.
      const all = await runJob(dryWs, uniqueName('all'), { confirm_all: true });
      expect(all).toMatchObject({ status: 'completed', total: 3, replayed: 3, filter: {} });
    });

    it('refuses a body or filter of the wrong shape with the field named', async () => {
      const cases: Array<[unknown, string, RegExp]> = [
        [{ filter: { colour: 'red' } }, 'unknown_parameter', /filter\.colour/],
        [{ filter: { status: 'done' } }, 'invalid_parameter', /filter\.status/],
        [{ max_events: 0, filter: { status: 'failed' } }, 'invalid_body', /max_events/],
        [{ dry_run: 'yes' }, 'invalid_body', /dry_run/],
        [{ filter: [] }, 'invalid_body', /filter/],
        [{ everything: true }, 'unknown_parameter', /everything/],
      ];
      for (const [body, code, detail] of cases) {
        const res = await postJob(dryWs, uniqueName('bad'), body);
        expect(res.status).toBe(400);
        const problem = (await res.json()) as { code: string; detail: string };
        expect(problem.code).toBe(code);
        expect(problem.detail).toMatch(detail);
      }
    });
  });
});
