/**
 * The events-api HTTP function: the dashboard's view of the event log
 * (Settings > Webhooks > Event Log). Private: in production only callers with
 * Cloud Run invoker IAM reach it (the dashboard backend, which has already
 * checked the user may see the workspace); locally it is open.
 *
 *   GET  /workspaces/{ws}/events                 list (filters, cursor, limit)
 *   POST /workspaces/{ws}/events                 publish an internal event
 *   GET  /workspaces/{ws}/events/{id}            one entry in full
 *   POST /workspaces/{ws}/events/{id}/replay     replay one entry
 *   POST /workspaces/{ws}/replays                bulk replay by filter (a job)
 *   GET  /workspaces/{ws}/replays/{job}          a replay job's progress
 *   GET  /unrouted                               unrouted entries (operators)
 *   GET  /unrouted/{id}                          one unrouted entry in full
 *   POST /unrouted/{id}/replay                   route it again, now that its Block exists
 *
 * Every workspace route reads and writes only under `workspaces/{ws}`: an id
 * from another workspace is simply not found there. The `/unrouted` routes
 * belong to no workspace (their items found none): operators only, which
 * the invoker IAM in front of the function ensures; the dashboard never
 * calls them.
 */
import { randomUUID } from 'node:crypto';
import type { HttpFunction, Request } from '@google-cloud/functions-framework';
import type { Firestore } from '@google-cloud/firestore';
import { createEnvelopePublisher, type EnvelopePublisher } from '../envelope/publish';
import { hashId } from '../envelope/ids';
import { getFirestore } from '../runtime/gcp';
import { createLogger, type Logger } from '../runtime/log';
import { eventLogRef } from '../event-log/outcomes';
import { retentionDays as readRetention } from '../event-log/config';
import { parseFilter } from './filters';
import { ApiError, badRequest, jsonBody, notFound, serveJsonApi, single, workspace, type Route } from './http';
import { internalEnvelope } from './internal-events';
import { jobRef, MAX_REPLAY_EVENTS, newJobId, presentJob, runReplayJob, type ReplayJob } from './jobs';
import { listPage, parseLimit } from './query';
import { detail, summary } from './present';
import { replayEntry, type Renormalize } from './replay';
import { parseUnroutedFilter, unroutedPage, unroutedRef } from './unrouted-list';
import { unroutedDetail, unroutedSummary } from './unrouted-present';
import { replayUnrouted } from './unrouted-replay';

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

/** The request's JSON object body; {} when there is none (express leaves {} for an empty body). */

export function createEventsApi(options: EventsApiOptions = {}): HttpFunction {
  const db = options.db ?? getFirestore;
  let publisher: EnvelopePublisher | undefined;
  const publish = () => (publisher ??= options.publisher?.() ?? createEnvelopePublisher());
  const log = options.logger ?? createLogger({ component: 'events-api' });
  const days = options.retentionDays ?? readRetention();
  const now = options.now ?? (() => new Date());
  const deps = () => ({ db: db(), publisher: publish(), ...(options.renormalize ? { renormalize: options.renormalize } : {}) });

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
    {
      method: 'GET',
      pattern: '/workspaces/:ws/events',
      async handle(req, res, params) {
        const ws = workspace(params);
        const query = req.query as Record<string, unknown>;
        const filter = parseFilter(query, ['limit', 'cursor']);
        const page = await listPage(db(), ws, filter, parseLimit(query.limit), single('cursor', query.cursor));
        res.json({ events: page.docs.map(summary), next_cursor: page.nextCursor });
      },
    },
    {
      method: 'POST',
      pattern: '/workspaces/:ws/events',
      async handle(req, res, params) {
        const ws = workspace(params);
        const envelope = internalEnvelope(ws, jsonBody(req), header(req, 'Idempotency-Key'), now());
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
        const body = jsonBody(req);
        const unknown = Object.keys(body).filter((k) => k !== 'filter' && k !== 'max_events');
        if (unknown.length)
          throw badRequest('unknown_parameter', `unknown field(s) ${unknown.join(', ')}; the body is {filter, max_events}`);
        const rawFilter = body.filter ?? {};
        if (typeof rawFilter !== 'object' || rawFilter === null || Array.isArray(rawFilter))
          throw badRequest('invalid_body', 'filter must be an object of list filters');
        const filter = parseFilter(rawFilter as Record<string, unknown>);
        const max = body.max_events ?? MAX_REPLAY_EVENTS;
        if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > MAX_REPLAY_EVENTS) {
          throw badRequest('invalid_parameter', `max_events must be an integer from 1 to ${MAX_REPLAY_EVENTS}`);
        }
        const jobId = newJobId(ws, header(req, 'Idempotency-Key'));
        const { job, created } = await runReplayJob(
          deps(),
          { workspaceId: ws, jobId, filter, max, retentionDays: days, now: now() },
          reqLog,
        );
        res
          .status(created ? 201 : 200)
          .set('Location', `/workspaces/${ws}/replays/${job.job_id}`)
          .json(presentJob(job));
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
      method: 'GET',
      pattern: '/unrouted',
      async handle(req, res) {
        const query = req.query as Record<string, unknown>;
        const filter = parseUnroutedFilter(query, ['limit', 'cursor']);
        const page = await unroutedPage(db(), filter, parseLimit(query.limit), single('cursor', query.cursor));
        res.json({ entries: page.docs.map(unroutedSummary), next_cursor: page.nextCursor });
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

  return serveJsonApi(routes, log, MAX_REQUEST_BODY_BYTES);
}
