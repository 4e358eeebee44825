/**
 * The private JSON APIs' HTTP plumbing (events API, blocks API): one error
 * type that carries the status and a machine-readable code, errors answered
 * as RFC 9457 problem+json (problems.ts), an `X-Request-Id` on every answer,
 * and a route table matched on path segments (404 for unknown paths, 405
 * with Allow for a known path and another method).
 */
import { randomUUID } from 'node:crypto';
import type { HttpFunction, Request, Response } from '@google-cloud/functions-framework';
import type { IncomingMessage } from 'node:http';
import { BODY_FAILURES, installBodyGuard, writeAnswer } from '../runtime/body-guard';
import type { Logger } from '../runtime/log';
import { traceRequest } from '../runtime/http-trace';
import { setUpTracing } from '../runtime/trace';
import type { Authorize, RouteAccess } from '../runtime/caller-auth';
import { describeProblemType, problemTitle, problemTypeUri } from './problems';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const badRequest = (code: string, message: string, details?: unknown) => new ApiError(400, code, message, details);
export const notFound = (message: string) => new ApiError(404, 'not_found', message);

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';
export const REQUEST_ID_HEADER = 'X-Request-Id';
/** A caller's request id we echo: short and plain, so it is safe in a header and a log line. */
const CALLER_REQUEST_ID = /^[A-Za-z0-9._:-]{1,200}$/;

/** The caller's X-Request-Id when it is 1-200 of [A-Za-z0-9._:-], else a new uuid. */
export function requestIdOf(req: Pick<IncomingMessage, 'headers'>): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && CALLER_REQUEST_ID.test(given) ? given : randomUUID();
}

/** The problem+json body of `err` (RFC 9457), with our `code` and `request_id` as extension members. */
export function problemBody(
  err: Pick<ApiError, 'status' | 'code' | 'message' | 'details'>,
  instance: string,
  requestId: string,
): Record<string, unknown> {
  return {
    type: problemTypeUri(err.code),
    title: problemTitle(err.code, err.status),
    status: err.status,
    detail: err.message,
    instance,
    code: err.code,
    request_id: requestId,
    ...(err.details && err.status !== 405 ? { details: err.details } : {}),
  };
}

export function sendError(res: Response, err: ApiError, instance: string, requestId: string): void {
  if (err.status === 405 && Array.isArray(err.details)) res.set('Allow', (err.details as string[]).join(', '));
  res
    .status(err.status)
    .set('Content-Type', PROBLEM_CONTENT_TYPE)
    .set(REQUEST_ID_HEADER, requestId)
    .send(JSON.stringify(problemBody(err, instance, requestId)));
}

export type Params = Record<string, string>;
/** `log` carries the request's id, method and path. */
export type RouteHandler = (req: Request, res: Response, params: Params, log: Logger) => Promise<void>;

export interface Route {
  method: 'GET' | 'POST';
  /** `/workspaces/:ws/events/:id`: `:name` segments become params. */
  pattern: string;
  handle: RouteHandler;
  /** Who may call it (runtime/caller-auth.ts); by default `workspace` when the pattern has `:ws`, else `operator`. */
  access?: RouteAccess;
}

function match(pattern: string, path: string): Params | undefined {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  if (want.length !== got.length) return undefined;
  const params: Params = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const g = got[i] as string;
    if (w.startsWith(':')) {
      let value: string;
      try {
        value = decodeURIComponent(g);
      } catch {
        return undefined;
      }
      params[w.slice(1)] = value;
    } else if (w !== g) {
      return undefined;
    }
  }
  return params;
}

/** The route for this method and path, or the ApiError (404/405) to answer. */
export function resolve(routes: readonly Route[], method: string, path: string): { route: Route; params: Params } | ApiError {
  const onPath = routes.map((route) => ({ route, params: match(route.pattern, path) })).filter((m) => m.params);
  if (onPath.length === 0) return notFound(`no route for ${path}`);
  const hit = onPath.find((m) => m.route.method === method);
  if (!hit) {
    const allowed = onPath.map((m) => m.route.method);
    return new ApiError(405, 'method_not_allowed', `${method} is not allowed on ${path}; use ${allowed.join(' or ')}`, allowed);
  }
  return { route: hit.route, params: hit.params as Params };
}

/** `GET /problems/<code>`: what a problem `type` means, so the type URI dereferences. */
export const PROBLEM_TYPE_ROUTE: Route = {
  method: 'GET',
  pattern: '/problems/:code',
  access: 'public',
  async handle(_req, res, params) {
    const described = describeProblemType(params.code ?? '');
    if (!described) throw notFound(`no problem type ${params.code ?? ''}`);
    res.json(described);
  },
};

/** The path part of a raw request target, for a problem's `instance`. */
const pathOf = (url: string | undefined) => (url ?? '').split('?')[0] ?? '';

/**
 * A JSON API function over `routes` (plus PROBLEM_TYPE_ROUTE): bodies the
 * framework's parsers refuse get a problem answer (the body guard, installed
 * now, before the framework builds its app), unknown paths 404 and wrong
 * methods 405, an ApiError its own answer, anything else a logged 500. Every
 * answer carries X-Request-Id. Used by the events API and the blocks API.
 */
export function serveJsonApi(
  routes: readonly Route[],
  log: Logger,
  maxBodyBytes: number,
  options: { authorize?: Authorize } = {},
): HttpFunction {
  const table = [...routes, PROBLEM_TYPE_ROUTE];
  // At the API's setup, so a bad TRACE_EXPORTER fails the cold start rather than every request.
  setUpTracing();
  installBodyGuard(() => ({
    maxBodyBytes,
    refuse: (req, res, failure, error) => {
      const { status, message } = BODY_FAILURES[failure];
      const requestId = requestIdOf(req);
      const instance = pathOf(req.url);
      log.info('request refused', {
        request_id: requestId,
        method: req.method,
        path: instance,
        status,
        error: failure,
        // A JSON parse error quotes the body, which may hold a credential: only our own words then.
        reason: error instanceof Error && failure !== 'malformed_json' ? error.message : message,
      });
      writeAnswer(
        res,
        status,
        { 'content-type': PROBLEM_CONTENT_TYPE, 'x-request-id': requestId },
        JSON.stringify(problemBody({ status, code: failure, message }, instance, requestId)),
      );
    },
    warn: (message) => log.warn(message),
  }));

  return async (req, res) => {
    const requestId = requestIdOf(req);
    res.set(REQUEST_ID_HEADER, requestId);
    const traced = traceRequest(req, res, log.child({ request_id: requestId, method: req.method, path: req.path }), 'api');
    const reqLog = traced.log;
    try {
      const hit = resolve(table, req.method, req.path);
      if (hit instanceof ApiError) throw hit;
      // Who may call this route, before it reads or writes anything.
      const decision = options.authorize ? await options.authorize(req, hit.route, hit.params) : { ok: true as const };
      if (!decision.ok) {
        if (decision.status === 401) res.set('WWW-Authenticate', 'Bearer');
        throw new ApiError(decision.status, decision.code, decision.message);
      }
      await traced.run(() => hit.route.handle(req, res, hit.params, decision.caller ? reqLog.child({ caller: decision.caller }) : reqLog));
    } catch (err) {
      if (err instanceof ApiError) {
        reqLog.info('request refused', { status: err.status, error: err.code, reason: err.message });
        sendError(res, err, req.path, requestId);
        return;
      }
      reqLog.error('request failed', { error: err });
      sendError(res, new ApiError(500, 'internal', 'the request failed; it is safe to retry'), req.path, requestId);
    }
  };
}

const WORKSPACE_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** The `:ws` path parameter, checked: 400 invalid_workspace otherwise. */
export function workspace(params: Params): string {
  const ws = params.ws ?? '';
  if (!WORKSPACE_ID.test(ws)) throw badRequest('invalid_workspace', 'the workspace id must be 1-128 letters, digits, _ or -');
  return ws;
}

/** The request's JSON object body ({} when there is none): 400 invalid_body otherwise. */
export function jsonBody(req: Request): Record<string, unknown> {
  const body = req.body as unknown;
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body) || Buffer.isBuffer(body)) {
    throw badRequest('invalid_body', 'the body must be a JSON object (Content-Type: application/json)');
  }
  return body as Record<string, unknown>;
}
