/**
 * The events-api HTTP function: the dashboard's view of the event log
 * (Settings > Webhooks > Event Log). Private: in production only callers with
 * Cloud Run invoker IAM reach it, and each request's Google ID token must name
 * a caller of API_CALLERS allowed that workspace (runtime/caller-auth.ts); the
 * dashboard backend has already checked the user may see the workspace.
 * Locally (API_AUTH=off) it is open.
 *
 *   GET  /workspaces/{ws}/events                 list (filters, cursor, limit)
 *   POST /workspaces/{ws}/events                 publish an internal event
 *   GET  /workspaces/{ws}/events/{id}            one entry in full
 *   POST /workspaces/{ws}/events/{id}/replay     replay one entry
 *   POST /workspaces/{ws}/replays                bulk replay by filter: a dry run, or a job (202)
 *   GET  /workspaces/{ws}/replays/{job}          a replay job's progress
 *   POST /projects/{p}/topics/{replay-jobs}      runs a job (its Pub/Sub push; jobs.ts)
 *   GET  /openapi.json                           the OpenAPI 3.1 document (openapi.ts)
 *   GET  /unrouted                               unrouted entries (operators)
 *   GET  /unrouted/{id}                          one unrouted entry in full
 *   POST /unrouted/{id}/replay                   route it again, now that its Block exists
 *   POST /reconciliations                        find and replay acknowledged webhooks missing from the log
 *   GET  /reconciliations[/{id}]                 what reconciliation found (operators; reconciliations.ts)
 *
 * Every workspace route reads and writes only under `workspaces/{ws}`: an id
 * from another workspace is simply not found there. The `/unrouted` routes
 * belong to no workspace (their items found none): operators only (callers
 * allowed `*`); the dashboard never calls them.
 */
import { randomUUID } from 'node:crypto';
import type { HttpFunction, Request } from '@google-cloud/functions-framework';
import type { Firestore } from '@google-cloud/firestore';
import { authorizeFromEnv, type Authorize } from '../runtime/caller-auth';
import { createEnvelopePublisher, type EnvelopePublisher } from '../envelope/publish';
import { hashId } from '../envelope/ids';
import { getFirestore, getTopic } from '../runtime/gcp';
import { createLogger, type Logger } from '../runtime/log';
import { eventLogRef } from '../event-log/outcomes';
import { retentionDays as readRetention } from '../event-log/config';
import { describeFilter, isEmptyFilter, parseFilter } from './filters';
import { ApiError, badRequest, jsonBody, notFound, serveJsonApi, workspace, type Route } from './http';
import { internalEnvelope } from './internal-events';
import {
  jobRef,
  matchingIds,
  MAX_REPLAY_EVENTS,
  needsPublish,
  newJobId,
  openJob,
  presentJob,
  runReplayJob,
  type JobMessage,
  type ReplayJob,
} from './jobs';
import { listPage, parseLimit } from './query';
import { BulkReplayRequest, EventListQuery, InternalEventRequest, ReplayFilter, UnroutedListQuery } from './schemas';
import { checked } from './validate';
import { openApiDocument } from './openapi';
import { topicName } from '../contracts/topics';
import { isPushBody, parsePushBody } from '../contracts/pubsub-push';
import { pageRoutes } from './page';
import { detail, summary } from './present';
import { replayEntry, type Renormalize } from './replay';
import { parseUnroutedFilter, unroutedPage, unroutedRef } from './unrouted-list';
import { unroutedDetail, unroutedSummary } from './unrouted-present';
import { replayUnrouted } from './unrouted-replay';
import { reconciliationRoutes } from './reconciliations';

export interface EventsApiOptions {
  db?: () => Firestore;
  /** Publishes to the `events` topic (EVENTS_TOPIC); replays and internal events go there. */
  publisher?: () => EnvelopePublisher;
  renormalize?: Renormalize;
  /**
   * Re-runs unrouted entries; defaults to `renormalize`. Production reads the
   * Block registry afresh per replay (renormalizeFresh): the point of the
   * replay is a Block connected moments ago.
   */
  renormalizeUnrouted?: Renormalize;
  logger?: Logger;
  retentionDays?: number;
  now?: () => Date;
  /** The topic bulk replay jobs are published to (REPLAY_JOBS_TOPIC); its push subscription delivers them back here. */
  jobsTopic?: string;
  /** Who may call which route; from API_AUTH, API_AUDIENCE and API_CALLERS by default. */
  authorize?: Authorize;
}

const ENTRY_ID = /^[A-Za-z0-9_-]{1,200}$/;
/**
 * The largest request body accepted (413 above it, refused by the body guard
 * before the framework buffers it). Bodies here are a replay filter or one
 * internal event; the framework alone would buffer up to 1 GB.
 */
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

function header(req: Request, name: string): string | undefined {
  const value = req.get(name);
  if (value !== undefined && (value.length === 0 || value.length > 200))
    throw badRequest('invalid_header', `${name} must be 1 to 200 characters`);
  return value;
}

export function createEventsApi(options: EventsApiOptions = {}): HttpFunction & { routes: readonly Route[] } {
  const db = options.db ?? getFirestore;
  let publisher: EnvelopePublisher | undefined;
  const publish = () => (publisher ??= options.publisher?.() ?? createEnvelopePublisher());
  const log = options.logger ?? createLogger({ component: 'events-api' });
  const days = options.retentionDays ?? readRetention();
  const now = options.now ?? (() => new Date());
  const deps = () => ({ db: db(), publisher: publish(), ...(options.renormalize ? { renormalize: options.renormalize } : {}) });
  const jobsTopic = options.jobsTopic ?? topicName('replayJobs');
  const publishJob = async (message: JobMessage, reqLog: Logger) => {
    try {
      await getTopic(jobsTopic).publishMessage({ json: message, attributes: { workspace_id: message.workspace_id } });
    } catch (err) {
      // The job is stored `queued`: the same post again publishes it (needsPublish), so the caller is told to retry.
      reqLog.error('replay job stored but its message could not be published', { job_id: message.job_id, error: err });
      throw new ApiError(
        503,
        'job_not_started',
        'the job is stored but its run could not be started; post it again with the same Idempotency-Key',
      );
    }
  };

  async function unrouted(id: string) {
    const ref = unroutedRef(db(), id);
    const doc = ref && (await ref.get());
    // As in a workspace's log: a document without `kind` is nothing the writer recorded.
    if (!doc?.exists || doc.get('kind') === undefined) throw notFound(`no unrouted entry ${id}`);
    return doc;
  }

  async function entry(ws: string, id: string) {
    if (!ENTRY_ID.test(id)) throw notFound(`no event ${id} in workspace ${ws}`);
    const doc = await eventLogRef(db(), ws, id).get();
    // Entries a consumer reported on but the writer has not written yet are not shown: nothing to see.
    if (!doc.exists || doc.get('kind') === undefined) throw notFound(`no event ${id} in workspace ${ws}`);
    return doc;
  }

  const routes: Route[] = [
    // The Event Log page (GET / and its /assets/), served to the same callers as the API.
    ...pageRoutes(),
    // Operators: acknowledged webhooks that never reached the log, found and replayed (shared/reconcile).
    ...reconciliationRoutes({ db, publisher: publish, normalize: options.renormalize, retentionDays: days, now }),
    {
      method: 'GET',
      pattern: '/workspaces/:ws/events',
      async handle(req, res, params) {
        const ws = workspace(params);
        const query = checked(EventListQuery, req.query, { in: 'query' });
        const page = await listPage(db(), ws, parseFilter(query), parseLimit(query.limit), query.cursor);
        res.json({ items: page.docs.map(summary), next_cursor: page.nextCursor });
      },
    },
    {
      method: 'POST',
      pattern: '/workspaces/:ws/events',
      async handle(req, res, params) {
        const ws = workspace(params);
        const body = checked(InternalEventRequest, jsonBody(req), { in: 'body' });
        const envelope = internalEnvelope(ws, body, header(req, 'Idempotency-Key'), now());
        await publish().publish(envelope);
        res.status(202).json({ id: envelope.id, type: envelope.type, workspace_id: ws });
      },
    },
    {
      method: 'GET',
      pattern: '/workspaces/:ws/events/:id',
      async handle(_req, res, params) {
        const ws = workspace(params);
        res.json(await detail(db(), ws, await entry(ws, params.id ?? '')));
      },
    },
    {
      method: 'POST',
      pattern: '/workspaces/:ws/events/:id/replay',
      async handle(req, res, params) {
        const ws = workspace(params);
        const doc = await entry(ws, params.id ?? '');
        const key = header(req, 'Idempotency-Key');
        const replayKey = hashId('rk', [ws, doc.id, key ?? randomUUID()]);
        res.status(202).json(await replayEntry(deps(), ws, doc, replayKey));
      },
    },
    {
      method: 'POST',
      pattern: '/workspaces/:ws/replays',
      async handle(req, res, params, reqLog) {
        const ws = workspace(params);
        const raw = jsonBody(req);
        // The filter first, so its own unknown names are unknown_parameter and its values are named filter.<name>.
        if (typeof raw.filter === 'object' && raw.filter !== null && !Array.isArray(raw.filter))
          checked(ReplayFilter, raw.filter, { in: 'body', prefix: 'filter.', invalid: 'invalid_parameter' });
        const body = checked(BulkReplayRequest, raw, { in: 'body' });
        const filter = parseFilter(body.filter ?? {});
        const max = body.max_events ?? MAX_REPLAY_EVENTS;
        if (body.dry_run) {
          const matching = (await matchingIds(db(), ws, filter, max)).length;
          res.json({ dry_run: true, matching, max_events: max, too_many: matching > max, filter: describeFilter(filter) });
          return;
        }
        if (isEmptyFilter(filter) && body.confirm_all !== true)
          throw badRequest(
            'empty_filter',
            'the filter is empty, so every event of the workspace would be replayed: give a filter, or send "confirm_all": true',
          );
        const jobId = newJobId(ws, header(req, 'Idempotency-Key'));
        const { job, created } = await openJob(db(), { workspaceId: ws, jobId, filter, max, retentionDays: days, now: now() });
        if (needsPublish(job, created, now())) await publishJob({ workspace_id: ws, job_id: job.job_id }, reqLog);
        reqLog.info(created ? 'replay job created' : 'replay job posted again', {
          job_id: job.job_id,
          total: job.total,
          status: job.status,
        });
        res.status(202).set('Location', `/workspaces/${ws}/replays/${job.job_id}`).json(presentJob(job));
      },
    },
    {
      method: 'GET',
      pattern: '/workspaces/:ws/replays/:job',
      async handle(_req, res, params) {
        const ws = workspace(params);
        const id = params.job ?? '';
        const snap = ENTRY_ID.test(id) ? await jobRef(db(), ws, id).get() : undefined;
        if (!snap?.exists) throw notFound(`no replay job ${id} in workspace ${ws}`);
        res.json(presentJob(snap.data() as ReplayJob));
      },
    },
    {
      method: 'POST',
      pattern: '/projects/:project/topics/:topic',
      access: 'push',
      async handle(req, res, params, reqLog) {
        if (params.topic !== jobsTopic) throw notFound(`no route for ${req.path}`);
        if (!isPushBody(req.body)) throw badRequest('invalid_body', 'expected a Pub/Sub push body');
        const message = parsePushBody(req.body);
        let job: Partial<JobMessage> = {};
        try {
          job = JSON.parse(message.data.toString('utf8')) as Partial<JobMessage>;
        } catch {
          // handled below: not a job message
        }
        if (typeof job.workspace_id !== 'string' || typeof job.job_id !== 'string') {
          // No retry can make these bytes a job: acked, and said loudly.
          reqLog.error('replay job message is not a job: acknowledged without running', { message_id: message.messageId });
          res.status(204).end();
          return;
        }
        const log = reqLog.child({ workspace_id: job.workspace_id, job_id: job.job_id });
        // An error here answers 500: the message is delivered again and the run resumes where it stopped.
        const done = await runReplayJob(deps(), job.workspace_id, job.job_id, log);
        if (!done) log.warn('replay job not found (expired or never created): acknowledged');
        else log.info('replay job ran', { status: done.status, total: done.total, replayed: done.replayed, failed: done.failed });
        res.status(204).end();
      },
    },
    {
      method: 'GET',
      pattern: '/openapi.json',
      access: 'public',
      async handle(_req, res) {
        res.json(openApiDocument());
      },
    },
    {
      method: 'GET',
      pattern: '/unrouted',
      async handle(req, res) {
        const query = checked(UnroutedListQuery, req.query, { in: 'query' });
        const page = await unroutedPage(db(), parseUnroutedFilter(query), parseLimit(query.limit), query.cursor);
        res.json({ items: page.docs.map(unroutedSummary), next_cursor: page.nextCursor });
      },
    },
    {
      method: 'GET',
      pattern: '/unrouted/:id',
      async handle(_req, res, params) {
        res.json(await unroutedDetail(db(), await unrouted(params.id ?? '')));
      },
    },
    {
      method: 'POST',
      pattern: '/unrouted/:id/replay',
      async handle(_req, res, params, reqLog) {
        const doc = await unrouted(params.id ?? '');
        const renormalize = options.renormalizeUnrouted ?? options.renormalize;
        if (!renormalize) throw new ApiError(501, 'not_configured', 'no normalizer is configured for replays');
        const outcome = await replayUnrouted({ db: db(), publisher: publish(), renormalize, now: now() }, doc);
        if (!outcome.ok) {
          throw new ApiError(409, outcome.refusal, outcome.message, outcome.rejection);
        }
        const { ok: _ok, ...body } = outcome;
        reqLog.info('unrouted entry replayed', {
          unrouted_id: doc.id,
          event_ids: body.event_ids,
          workspace_ids: body.routed_to.map((r) => r.workspace_id),
          still_rejected: body.still_rejected.length,
        });
        res.status(202).json(body);
      },
    },
  ];

  const handler = serveJsonApi(routes, log, MAX_REQUEST_BODY_BYTES, {
    authorize: options.authorize ?? authorizeFromEnv(process.env, { pushRoutes: true }),
  });
  // The route table rides along for the test that holds the OpenAPI document to every route.
  return Object.assign(handler, { routes: routes as readonly Route[] });
}
