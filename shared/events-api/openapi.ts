/**
 * The events API's OpenAPI 3.1 document, generated from the TypeBox schemas
 * the routes validate with (schemas.ts): one operation per route, its query
 * parameters from the query schema, its body from the body schema, its
 * answers (errors as problem+json). Served at GET /openapi.json and written to
 * schema/events-api.openapi.json by `npm run schema`.
 */
import type { TObject, TSchema } from '@sinclair/typebox';
import {
  BulkReplayRequest,
  EventDetail,
  EventListQuery,
  EventSummary,
  InternalEventAccepted,
  InternalEventRequest,
  ListOf,
  Problem,
  ProblemTypeDescription,
  ReconciliationFinding,
  ReconcileRunSummary,
  PageQuery,
  ReconcileRunRequest,
  ReplayDryRun,
  ReplayJob,
  ReplayOutcome,
  UnroutedDetail,
  UnroutedListQuery,
  UnroutedReplayed,
  UnroutedSummary,
} from './schemas';
import { PROBLEM_CONTENT_TYPE, REQUEST_ID_HEADER } from './http';

/** The named schemas of the document (components.schemas), referenced by operations. */
const COMPONENTS = {
  EventSummary,
  EventDetail,
  EventList: ListOf(EventSummary),
  InternalEventRequest,
  InternalEventAccepted,
  ReplayOutcome,
  BulkReplayRequest,
  ReplayDryRun,
  ReplayJob,
  UnroutedSummary,
  UnroutedDetail,
  UnroutedList: ListOf(UnroutedSummary),
  UnroutedReplayed,
  ReconcileRunRequest,
  ReconcileRunSummary,
  ReconciliationFinding,
  ReconciliationList: ListOf(ReconciliationFinding),
  Problem,
  ProblemTypeDescription,
} satisfies Record<string, TSchema>;
type Component = keyof typeof COMPONENTS;

interface Operation {
  method: 'get' | 'post';
  /** OpenAPI form: `/workspaces/{ws}/events`. */
  path: string;
  id: string;
  summary: string;
  tag: string;
  query?: TObject;
  body?: Component;
  headers?: Array<{ name: string; description: string }>;
  /** status -> the answer's schema (JSON), or null for no body. */
  ok: Record<number, Component | null | 'openapi'>;
  /** The error statuses this route answers besides 400, 404 and 500. */
  errors?: number[];
  extraOk?: { location?: boolean };
}

const IDEMPOTENCY_KEY = { name: 'Idempotency-Key', description: '1 to 200 characters: the same key gives the same result' };

export const OPERATIONS: readonly Operation[] = [
  {
    method: 'get',
    path: '/workspaces/{ws}/events',
    id: 'listEvents',
    summary: "List the workspace's event log, newest first",
    tag: 'events',
    query: EventListQuery,
    ok: { 200: 'EventList' },
  },
  {
    method: 'post',
    path: '/workspaces/{ws}/events',
    id: 'postInternalEvent',
    summary: 'Publish an internal event',
    tag: 'events',
    body: 'InternalEventRequest',
    headers: [IDEMPOTENCY_KEY],
    ok: { 202: 'InternalEventAccepted' },
    errors: [413],
  },
  {
    method: 'get',
    path: '/workspaces/{ws}/events/{id}',
    id: 'getEvent',
    summary: 'One entry in full: envelope, raw payload, consumers, replays',
    tag: 'events',
    ok: { 200: 'EventDetail' },
  },
  {
    method: 'post',
    path: '/workspaces/{ws}/events/{id}/replay',
    id: 'replayEvent',
    summary: 'Replay one entry',
    tag: 'replay',
    headers: [IDEMPOTENCY_KEY],
    ok: { 202: 'ReplayOutcome' },
    errors: [409, 501],
  },
  {
    method: 'post',
    path: '/workspaces/{ws}/replays',
    id: 'bulkReplay',
    summary: 'Bulk replay by filter: a dry run (200), or a job that runs asynchronously (202 with Location)',
    tag: 'replay',
    body: 'BulkReplayRequest',
    headers: [IDEMPOTENCY_KEY],
    ok: { 200: 'ReplayDryRun', 202: 'ReplayJob' },
    errors: [413],
    extraOk: { location: true },
  },
  {
    method: 'get',
    path: '/workspaces/{ws}/replays/{job}',
    id: 'getReplayJob',
    summary: "A replay job's progress and results",
    tag: 'replay',
    ok: { 200: 'ReplayJob' },
  },
  {
    method: 'get',
    path: '/unrouted',
    id: 'listUnrouted',
    summary: 'List unrouted entries (operators), newest first',
    tag: 'unrouted',
    query: UnroutedListQuery,
    ok: { 200: 'UnroutedList' },
  },
  {
    method: 'get',
    path: '/unrouted/{id}',
    id: 'getUnrouted',
    summary: 'One unrouted entry in full',
    tag: 'unrouted',
    ok: { 200: 'UnroutedDetail' },
  },
  {
    method: 'post',
    path: '/unrouted/{id}/replay',
    id: 'replayUnrouted',
    summary: 'Route an unrouted entry again, now that its Block exists',
    tag: 'unrouted',
    ok: { 202: 'UnroutedReplayed' },
    errors: [409, 501, 503],
  },
  {
    method: 'post',
    path: '/reconciliations',
    id: 'runReconciliation',
    summary: 'Run one reconciliation pass now: acknowledged webhooks missing from the log, found and replayed (operators)',
    tag: 'reconciliation',
    body: 'ReconcileRunRequest',
    ok: { 200: 'ReconcileRunSummary' },
    errors: [413, 501],
  },
  {
    method: 'get',
    path: '/reconciliations',
    id: 'listReconciliations',
    summary: 'What reconciliation found, newest first (operators)',
    tag: 'reconciliation',
    query: PageQuery,
    ok: { 200: 'ReconciliationList' },
  },
  {
    method: 'get',
    path: '/reconciliations/{id}',
    id: 'getReconciliation',
    summary: 'One reconciliation finding',
    tag: 'reconciliation',
    ok: { 200: 'ReconciliationFinding' },
  },
  {
    method: 'post',
    path: '/projects/{project}/topics/{topic}',
    id: 'runReplayJob',
    summary: "Runs a replay job: the Pub/Sub push of the replay-jobs topic (the pipeline's own, not for callers)",
    tag: 'internal',
    ok: { 204: null },
  },
  {
    method: 'get',
    path: '/problems/{code}',
    id: 'getProblemType',
    summary: 'What a problem type means',
    tag: 'meta',
    ok: { 200: 'ProblemTypeDescription' },
  },
  {
    method: 'get',
    path: '/openapi.json',
    id: 'getOpenApi',
    summary: 'This document',
    tag: 'meta',
    ok: { 200: 'openapi' },
  },
];

const PATH_PARAMS: Record<string, string> = {
  ws: 'the workspace id: 1 to 128 letters, digits, _ or -',
  id: 'an entry id (evt_…, rej_…, raw_…; a raw message id for /reconciliations)',
  job: 'a replay job id (rpl_…)',
  code: 'a problem code',
  project: 'the Google Cloud project',
  topic: 'the replay-jobs topic',
};

/** A TypeBox schema as plain JSON Schema (TypeBox keeps its own symbols on the objects). */
const plain = (schema: TSchema): Record<string, unknown> => JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
const ref = (name: Component) => ({ $ref: `#/components/schemas/${name}` });

/** Operations anyone may call (they hold no data); every other one needs the Google ID token (runtime/caller-auth.ts). */
const PUBLIC_PATHS = new Set(['/problems/{code}', '/openapi.json']);
const GOOGLE_ID_TOKEN = {
  type: 'http',
  scheme: 'bearer',
  bearerFormat: 'JWT',
  description:
    "A Google ID token minted for the API's URL, carrying the caller's email, which API_CALLERS must allow for the path's workspace (`*`: every workspace and the operator routes). The replay-jobs push carries Pub/Sub's token of the push service account. 401 `unauthenticated` without a valid one; 403 `caller_not_allowed`, `workspace_forbidden`, `operator_only` or `wrong_push_identity`.",
};

const REQUEST_ID = {
  description: 'the request id: the caller’s X-Request-Id when it is 1-200 of [A-Za-z0-9._:-], else a new uuid',
  schema: { type: 'string' },
};

function operation(op: Operation): Record<string, unknown> {
  const parameters: unknown[] = [];
  for (const name of op.path.match(/\{(\w+)\}/g) ?? []) {
    const key = name.slice(1, -1);
    parameters.push({ name: key, in: 'path', required: true, description: PATH_PARAMS[key], schema: { type: 'string' } });
  }
  for (const [name, schema] of Object.entries(op.query?.properties ?? {})) {
    const { description, ...rest } = plain(schema);
    parameters.push({ name, in: 'query', required: false, description, schema: rest });
  }
  for (const h of op.headers ?? []) {
    parameters.push({
      name: h.name,
      in: 'header',
      required: false,
      description: h.description,
      schema: { type: 'string', minLength: 1, maxLength: 200 },
    });
  }
  parameters.push({ name: REQUEST_ID_HEADER, in: 'header', required: false, ...REQUEST_ID });

  const headers = { [REQUEST_ID_HEADER]: REQUEST_ID };
  const responses: Record<string, unknown> = {};
  for (const [status, body] of Object.entries(op.ok)) {
    const answer: Record<string, unknown> = { description: status === '204' ? 'done' : 'OK', headers: { ...headers } };
    if (status === '202' && op.extraOk?.location)
      answer.headers = { ...headers, Location: { description: 'the job: /workspaces/{ws}/replays/{job}', schema: { type: 'string' } } };
    if (body === 'openapi') answer.content = { 'application/json': { schema: { type: 'object', required: ['openapi'] } } };
    else if (body) answer.content = { 'application/json': { schema: ref(body) } };
    responses[status] = answer;
  }
  const open = PUBLIC_PATHS.has(op.path);
  // 401/403: the caller's token (runtime/caller-auth.ts); 503: Google's keys could not be fetched.
  const auth = open ? [] : [401, 403, 503];
  for (const status of [400, 404, 500, ...auth, ...(op.errors ?? [])].sort()) {
    responses[String(status)] = { description: 'a problem (RFC 9457)', headers, content: { [PROBLEM_MEDIA]: { schema: ref('Problem') } } };
  }
  return {
    operationId: op.id,
    summary: op.summary,
    tags: [op.tag],
    ...(open ? { security: [] } : {}),
    parameters,
    ...(op.body
      ? { requestBody: { required: op.body === 'InternalEventRequest', content: { 'application/json': { schema: ref(op.body) } } } }
      : {}),
    responses,
  };
}

/** The media type of problem answers, without the charset the API adds. */
export const PROBLEM_MEDIA = PROBLEM_CONTENT_TYPE.split(';')[0] as string;

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) (paths[op.path] ??= {})[op.method] = operation(op);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Convotic events API',
      version: '1',
      description:
        'The event log of the webhook pipeline: list, read and replay events, bulk replay jobs, unrouted entries. Errors are RFC 9457 problem details whose `code` is one of the problem types (GET /problems/{code}).',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ googleIdToken: [] }],
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(COMPONENTS).map(([name, schema]) => [name, plain(schema)])),
      securitySchemes: { googleIdToken: GOOGLE_ID_TOKEN },
    },
  };
}
