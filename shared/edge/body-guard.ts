/**
 * Closes two gaps the functions-framework (v5, build/src/server.js) leaves in
 * front of every webhook function:
 *
 *   - it reads and parses every body (body-parser json/text/urlencoded/raw,
 *     limit 1 GB) before the function runs, so an oversized request is
 *     buffered in full before our 413;
 *   - it registers no error middleware, so a body its JSON parser rejects gets
 *     Express's HTML error page and no log line (upstream issue
 *     GoogleCloudPlatform/functions-framework-nodejs#686).
 *
 * installBodyGuard() wraps `handle` of the framework's own copy of Express
 * (resolved from the framework's location: the bundle's copy, if any, would
 * be a different module), before the framework creates its app. For each
 * request, before any middleware runs:
 *
 *   - a declared Content-Length over the limit is answered 413 without
 *     reading the body (and the connection is closed, so it is never read);
 *   - an error raised by the body parsers is answered by the edge's own
 *     refusal (JSON body, headers, log line);
 *
 * everything else goes through Express untouched. If Express is not shaped as
 * expected (a framework upgrade), the guard says so once in the log and stays
 * out of the way: the framework's defaults still refuse those requests.
 *
 * One function per process is the deployed shape. A process hosting several
 * webhook functions (tests) has one guard, answering for the last installed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { singleHeader } from './headers';
import { refuseEdgeRequest, type EdgeDeps, type EdgeRequest, type EdgeResponse } from './pipeline';
import type { Reason } from './reasons';

type Done = (err?: unknown) => void;
type Handle = (this: ExpressApp, req: IncomingMessage, res: ServerResponse, callback?: Done) => void;
interface ExpressApp {
  get(setting: string): unknown;
}
interface ExpressModule {
  application?: { handle?: Handle };
}
type FinalHandler = (req: IncomingMessage, res: ServerResponse, options: { env: unknown }) => Done;

/** What body-parser's errors (`err.type`) mean to a platform; any other parser error is a malformed request. */
const PARSER_ERRORS: Record<string, Reason> = {
  'entity.parse.failed': 'malformed_json',
  'entity.too.large': 'body_too_large',
  'encoding.unsupported': 'unsupported_media_type',
  'charset.unsupported': 'unsupported_media_type',
};

let current: (() => EdgeDeps) | undefined;
let state: 'none' | 'installed' | 'unavailable' = 'none';

export function installBodyGuard(deps: () => EdgeDeps): void {
  current = deps;
  if (state !== 'none') return;
  const { express, finalhandler } = frameworkExpress() ?? {};
  const original = express?.application?.handle;
  if (!express?.application || typeof original !== 'function' || typeof finalhandler !== 'function') {
    state = 'unavailable';
    deps().log.warn('body guard not installed: the functions-framework\'s Express has no application.handle; its own error pages answer bad bodies', {});
    return;
  }
  express.application.handle = function guardedHandle(req, res, callback) {
    // A callback means a mounted sub-app, not a request from the server: leave it alone.
    if (callback || !current) return original.call(this, req, res, callback);
    const deps = current();
    const declared = Number(singleHeader(req.headers, 'content-length'));
    if (Number.isFinite(declared) && declared > deps.config.maxBodyBytes) {
      res.setHeader('connection', 'close');
      return send(res, refuseEdgeRequest(edgeRequest(req), deps, 'body_too_large'));
    }
    return original.call(this, req, res, (err?: unknown) => {
      const reason = parserFailure(err);
      if (reason) return send(res, refuseEdgeRequest(edgeRequest(req), deps, reason, err));
      // Not ours (no route, an aborted upload): Express's own final handler, as without the guard.
      return finalhandler(req, res, { env: this.get('env') })(err);
    });
  };
  state = 'installed';
}

function frameworkExpress(): { express: ExpressModule; finalhandler: FinalHandler } | undefined {
  try {
    // Plain require with resolved paths (not createRequire), so a host with its own module registry (jest) hands back its copy.
    const expressPath = require.resolve('express', { paths: [path.dirname(require.resolve('@google-cloud/functions-framework'))] });
    const finalhandlerPath = require.resolve('finalhandler', { paths: [path.dirname(expressPath)] });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return { express: require(expressPath) as ExpressModule, finalhandler: require(finalhandlerPath) as FinalHandler };
  } catch {
    return undefined;
  }
}

function parserFailure(err: unknown): Reason | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const type = (err as { type?: unknown }).type;
  if (typeof type !== 'string') return undefined;
  // body-parser (via raw-body) marks its errors with a `type`: entity.* are about the body's bytes.
  return PARSER_ERRORS[type] ?? (type.startsWith('entity.') ? 'malformed_json' : undefined);
}

function edgeRequest(req: IncomingMessage): EdgeRequest {
  return { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, rawBody: undefined };
}

function send(res: ServerResponse, response: EdgeResponse): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = Buffer.from(response.body);
  res.writeHead(response.status, { ...response.headers, 'content-length': String(body.length) });
  res.end(body);
}
