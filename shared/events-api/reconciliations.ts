/**
 * Reconciliation on the events API (operators; no workspace: a webhook body
 * may hold several workspaces' items, or none):
 *
 *   POST /reconciliations        run one pass now (Cloud Scheduler posts `{}`
 *                                every RECONCILE schedule; `npm run reconcile`
 *                                locally); body {min_age_seconds?, max_messages?}
 *                                overrides the configured values for this run
 *   GET  /reconciliations        what runs found: one item per acknowledged
 *                                webhook found missing from the log, newest first
 *   GET  /reconciliations/{id}   one of them (id = the raw message id)
 *
 * The events API hosts it because it already holds what a pass needs: the
 * normalizer run in-process on stored bodies, the `events` publisher, and
 * the event log's Firestore. The pass itself is shared/reconcile/run.ts.
 */
import type { Firestore } from '@google-cloud/firestore';
import type { EnvelopePublisher } from '../envelope/publish';
import type { Logger } from '../runtime/log';
import { reconcileConfig, type ReconcileConfig } from '../reconcile/config';
import type { NormalizeOutput } from '../reconcile/expected';
import { reconcileOnce } from '../reconcile/run';
import type { ReconciliationFinding, ReconciliationRecord } from '../reconcile/shapes';
import { RECONCILIATIONS, recordRef } from '../reconcile/store';
import { FieldPath, type DocumentSnapshot } from '@google-cloud/firestore';
import { ApiError, jsonBody, notFound, type Route } from './http';
import { filterKey, pageOf, parseLimit } from './query';
import { PageQuery, ReconcileRunRequest } from './schemas';
import { checked } from './validate';

export interface ReconciliationDeps {
  db: () => Firestore;
  publisher: () => EnvelopePublisher;
  normalize?: (raw: { data: Buffer; attributes: Record<string, string> }) => Promise<NormalizeOutput>;
  /** Default: reconcileConfig() from the environment, read once here so a bad value fails at start-up. */
  config?: ReconcileConfig;
  retentionDays: number;
  now: () => Date;
}

const RECORD_ID = /^[A-Za-z0-9_-]{1,200}$/;

function present(doc: DocumentSnapshot): ReconciliationFinding {
  const d = doc.data() as ReconciliationRecord;
  return {
    id: doc.id,
    status: d.status,
    platform: d.platform,
    request_id: d.request_id,
    workspace_ids: d.workspace_ids,
    received_at: d.received_at.toDate().toISOString(),
    found_at: d.timestamp.toDate().toISOString(),
    checked_at: d.checked_at.toDate().toISOString(),
    expected: d.expected,
    missing_events: d.missing_events,
    missing_rejections: d.missing_rejections,
    replayed_event_ids: d.replayed_event_ids,
    written_rejection_ids: d.written_rejection_ids,
    attempts: d.attempts,
    detail: d.detail,
  };
}

export function reconciliationRoutes(deps: ReconciliationDeps): Route[] {
  const config = deps.config ?? reconcileConfig();
  return [
    {
      method: 'POST',
      pattern: '/reconciliations',
      async handle(req, res, _params, log: Logger) {
        const body = checked(ReconcileRunRequest, jsonBody(req), { in: 'body' });
        const minAge = body.min_age_seconds ?? config.minAgeSeconds;
        const max = body.max_messages ?? config.maxMessages;
        if (!deps.normalize) throw new ApiError(501, 'not_configured', 'no normalizer is configured for reconciliation');
        const summary = await reconcileOnce(
          {
            db: deps.db(),
            publisher: deps.publisher(),
            normalize: deps.normalize,
            log: log.child({ component: 'reconcile' }),
            now: deps.now,
            retentionDays: deps.retentionDays,
          },
          { ...config, minAgeSeconds: minAge, maxMessages: max },
        );
        res.json(summary);
      },
    },
    {
      method: 'GET',
      pattern: '/reconciliations',
      async handle(req, res) {
        const query = checked(PageQuery, req.query, { in: 'query' });
        const ordered = deps.db().collection(RECONCILIATIONS).orderBy('timestamp', 'desc').orderBy(FieldPath.documentId(), 'desc');
        // No filter: every cursor pages the one list.
        const page = await pageOf(ordered, filterKey({}), parseLimit(query.limit), query.cursor);
        res.json({ items: page.docs.map(present), next_cursor: page.nextCursor });
      },
    },
    {
      method: 'GET',
      pattern: '/reconciliations/:id',
      async handle(_req, res, params) {
        const id = params.id ?? '';
        const doc = RECORD_ID.test(id) ? await recordRef(deps.db(), id).get() : undefined;
        if (!doc?.exists) throw notFound(`no reconciliation finding ${id}`);
        res.json(present(doc));
      },
    },
  ];
}
