/**
 * The request pipeline every webhook function runs, host-independent (a plain
 * request in, a plain response out) so it is testable without a server.
 *
 *   path → method → [GET: handshake → 200 challenge]
 *        → size → content type → JSON → authenticate → publish → 200
 *
 * Each step either passes or ends the request with one entry of REASONS.
 * Nothing is published unless every step before publish passed, and no
 * webhook is answered 200 before Pub/Sub acknowledged the message. Meta's
 * verification GET is no event: it names no Block, so it could only ever be
 * unroutable; it is answered and logged (which verify token matched), and
 * nothing is published for it.
 */
import { randomUUID } from 'node:crypto';
import type { BlockRegistry } from '../contracts/blocks';
import { traceIdFrom, type Logger } from '../runtime/log';
import { httpRequestField } from '../runtime/http-request';
import { carried, startSpan, traceFromHeaders, traceLogFields, withDelivery, type TraceContext } from '../runtime/trace';
import { rawAttributes, type RawMessageAttributes } from '../contracts/raw-message';
import type { EdgeConfig } from './config';
import { singleHeader, type Headers } from '../platform-kit/headers';
import type { RawPublisher } from './publish';
import { REASONS, type Outcome, type Reason } from './reasons';
import type { AuthOutcome, EdgeAdapter, ResolvedBlock } from '../platform-kit/types';

export interface EdgeRequest {
  method: string;
  /** Path and query as received, e.g. `/?hub.mode=subscribe&…`. */
  url: string;
  headers: Headers;
  /** The exact bytes received; undefined when there was no body. */
  rawBody: Buffer | undefined;
  /** The body as the host already parsed it from rawBody, when it did (saves a second parse). */
  parsedBody?: unknown;
}

export interface EdgeResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface EdgeDeps {
  adapter: EdgeAdapter;
  config: EdgeConfig;
  publish: RawPublisher;
  registry: BlockRegistry | undefined;
  log: Logger;
  now?: () => Date;
}

/** What one request came to; becomes the response and the request's log line. */
interface Decision {
  outcome: Outcome;
  status: number;
  reason?: Reason;
  block?: ResolvedBlock;
  body: string;
  contentType: string;
  allow?: string;
  error?: unknown;
  /** A verification's matched verify token: its place in the configured list (0 = current), never the token. */
  verifyTokenIndex?: number;
}

/** Paths a platform may call: the function URL root, or the public `/webhooks/<platform>` route kept by a proxy. */
function pathAllowed(path: string, platform: string): boolean {
  return path === '/' || path === '' || path === `/webhooks/${platform}` || path === `/webhooks/${platform}/`;
}

/**
 * The path of a request target. Origin-form (`/…`, including `//…`, which a URL
 * parser would read as a host) is cut at the query; an absolute-form target is
 * parsed, and anything unparseable is a path no route has (404, never a throw).
 */
function pathOf(target: string): string {
  if (target.startsWith('/')) {
    const queryAt = target.indexOf('?');
    return queryAt < 0 ? target : target.slice(0, queryAt);
  }
  try {
    return new URL(target).pathname;
  } catch {
    return target;
  }
}

/** The query of a request target, without building a URL (which throws on `//…`). */
function queryOf(target: string): URLSearchParams {
  const queryAt = target.indexOf('?');
  if (queryAt < 0) return new URLSearchParams();
  const hashAt = target.indexOf('#', queryAt);
  return new URLSearchParams(target.slice(queryAt + 1, hashAt < 0 ? undefined : hashAt));
}

function reject(reason: Reason, extra: Partial<Decision> = {}): Decision {
  const spec = REASONS[reason];
  return {
    outcome: spec.outcome,
    status: spec.status,
    reason,
    body: JSON.stringify({ error: spec.code, message: spec.message }),
    contentType: 'application/json; charset=utf-8',
    ...extra,
  };
}

function accepted(outcome: 'accepted', requestId: string, block?: ResolvedBlock): Decision {
  return {
    outcome,
    status: 200,
    block,
    body: JSON.stringify({ ok: true, request_id: requestId }),
    contentType: 'application/json; charset=utf-8',
  };
}

function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const [type, ...params] = value.split(';').map((s) => s.trim().toLowerCase());
  if (type !== 'application/json') return false;
  // JSON is UTF-8 (RFC 8259); a body declared in another charset would not mean what its bytes say.
  return params.every((p) => !p.startsWith('charset=') || p === 'charset=utf-8' || p === 'charset="utf-8"');
}

function declaredLength(headers: Headers): number | undefined {
  const value = singleHeader(headers, 'content-length');
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function asJsonObject(req: EdgeRequest, rawBody: Buffer): Record<string, unknown> | undefined {
  // The framework parses an empty body as {} (req.body): it is no webhook.
  if (rawBody.length === 0) return undefined;
  let value = req.parsedBody;
  if (value === undefined || Buffer.isBuffer(value) || typeof value === 'string') {
    try {
      value = JSON.parse(rawBody.toString('utf8'));
    } catch {
      return undefined;
    }
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

async function decide(req: EdgeRequest, deps: EdgeDeps, requestId: string, receivedAt: Date): Promise<Decision> {
  const { adapter, config } = deps;
  if (!pathAllowed(pathOf(req.url), adapter.platform)) return reject('not_found');

  const allow = adapter.handshake ? 'GET, POST' : 'POST';
  const method = req.method.toUpperCase();
  if (method === 'GET' && adapter.handshake) return handshake(queryOf(req.url), deps);
  if (method !== 'POST') return reject('method_not_allowed', { allow });

  const length = declaredLength(req.headers);
  const rawBody = req.rawBody ?? Buffer.alloc(0);
  if ((length !== undefined && length > config.maxBodyBytes) || rawBody.length > config.maxBodyBytes) {
    return reject('body_too_large');
  }
  const contentType = singleHeader(req.headers, 'content-type');
  if (!isJsonContentType(contentType)) return reject('unsupported_media_type');
  const json = asJsonObject(req, rawBody);
  if (!json) return reject('malformed_json');

  let auth: AuthOutcome;
  try {
    const pending = adapter.authenticate({ rawBody, headers: req.headers, json }, { config, registry: deps.registry, log: deps.log });
    auth = pending instanceof Promise ? await pending : pending;
  } catch (error) {
    return reject('registry_unavailable', { error });
  }
  if (!auth.ok) return reject(auth.reason);

  const attributes: RawMessageAttributes = {
    platform: adapter.platform,
    received_at: receivedAt.toISOString(),
    request_id: requestId,
    kind: 'webhook',
    content_type: contentType ?? 'application/json',
    block_id: auth.block?.block_id,
    workspace_id: auth.block?.workspace_id,
  };
  try {
    await deps.publish(rawBody, carried(rawAttributes(attributes)));
  } catch (error) {
    return reject('publish_failed', { error, block: auth.block });
  }
  return accepted('accepted', requestId, auth.block);
}

function handshake(query: URLSearchParams, deps: EdgeDeps): Decision {
  const result = deps.adapter.handshake!(query, deps.config);
  if (!result.ok) return reject(result.reason);
  return {
    outcome: 'handshake',
    status: 200,
    body: result.challenge,
    contentType: 'text/plain; charset=utf-8',
    verifyTokenIndex: result.tokenIndex,
  };
}

/** Runs the pipeline for one request and writes its one log line. Never throws. */
export async function handleEdgeRequest(req: EdgeRequest, deps: EdgeDeps): Promise<EdgeResponse> {
  const started = process.hrtime.bigint();
  const receivedAt = (deps.now ?? (() => new Date()))();
  const requestId = traceIdFrom(req.headers) ?? randomUUID();
  // The webhook's trace: what the edge publishes carries it (and the receive time) to every later function.
  const span = startSpan(`webhook-${deps.adapter.platform}`, traceFromHeaders(req.headers), 'server');
  let decision: Decision;
  try {
    decision = await withDelivery({ trace: span.context, receivedAt: receivedAt.toISOString() }, () =>
      decide(req, deps, requestId, receivedAt),
    );
  } catch (error) {
    decision = reject('internal_error', { error });
  }
  span.end(decision.outcome === 'error' ? decision.error : undefined);
  return conclude(req, deps, { requestId, trace: span.context, started }, decision);
}

/**
 * The answer and log line for a request refused before the pipeline could run
 * (the host's body parser failed, or the declared length is over the limit
 * before a byte was read): the same JSON body, headers and log line as a
 * refusal from inside the pipeline.
 */
export function refuseEdgeRequest(req: EdgeRequest, deps: EdgeDeps, reason: Reason, error?: unknown): EdgeResponse {
  const started = process.hrtime.bigint();
  const span = startSpan(`webhook-${deps.adapter.platform}`, traceFromHeaders(req.headers), 'server');
  span.end();
  return conclude(
    req,
    deps,
    { requestId: traceIdFrom(req.headers) ?? randomUUID(), trace: span.context, started },
    reject(reason, { error }),
  );
}

interface RequestIds {
  requestId: string;
  trace: TraceContext;
  started: bigint;
}

/** Writes the request's one log line and turns the decision into the response. */
function conclude(req: EdgeRequest, deps: EdgeDeps, { requestId, trace, started }: RequestIds, decision: Decision): EdgeResponse {
  const latencyMs = Number(process.hrtime.bigint() - started) / 1e6;
  const fields = {
    request_id: requestId,
    ...traceLogFields(trace),
    platform: deps.adapter.platform,
    method: req.method,
    outcome: decision.outcome,
    reason: decision.reason,
    status: decision.status,
    bytes: req.rawBody?.length ?? 0,
    block_id: decision.block?.block_id,
    workspace_id: decision.block?.workspace_id,
    verify_token_index: decision.verifyTokenIndex,
    latency_ms: latencyMs,
    error: decision.error,
    httpRequest: httpRequestField({
      method: req.method,
      url: req.url,
      status: decision.status,
      latencyMs,
      headers: req.headers,
      requestSize: req.rawBody?.length ?? 0,
      responseSize: Buffer.byteLength(decision.body),
    }),
  };
  const message = decision.reason ? `webhook ${decision.outcome}: ${decision.reason}` : `webhook ${decision.outcome}`;
  if (decision.outcome === 'error' || decision.reason === 'secret_not_configured') deps.log.error(message, fields);
  else if (decision.outcome === 'rejected') deps.log.warn(message, fields);
  else deps.log.info(message, fields);

  const headers: Record<string, string> = {
    'content-type': decision.contentType,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
    'x-request-id': requestId,
  };
  if (decision.allow) headers.allow = decision.allow;
  return { status: decision.status, headers, body: decision.body };
}
