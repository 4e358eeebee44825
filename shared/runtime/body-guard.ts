/**
 * Closes two gaps the functions-framework (v5, build/src/server.js) leaves in
 * front of every HTTP function:
 *
 *   - it reads and parses every body (body-parser json/text/urlencoded/raw,
 *     limit 1 GB) before the function runs, so an oversized request is
 *     buffered in full before the function can refuse it;
 *   - it registers no error middleware, so a body its parsers reject gets
 *     Express's HTML error page and no log line (upstream issue
 *     GoogleCloudPlatform/functions-framework-nodejs#686).
 *
 * installBodyGuard() wraps `handle` of the framework's own copy of Express
 * (resolved from the framework's location: the bundle's copy, if any, would
 * be a different module), before the framework creates its app. For each
 * request, before any middleware runs:
 *
 *   - a declared Content-Length over `maxBodyBytes` is refused without
 *     reading the body (and the connection is closed, so it is never read);
 *   - a compressed body (any Content-Encoding but identity) is refused (415)
 *     without reading it: the parsers would inflate it past any limit of ours;
 *   - a body without a declared length (Transfer-Encoding: chunked) is
 *     counted as it arrives, and refused the moment it passes `maxBodyBytes`:
 *     the parser never buffers more than the limit, and the connection is
 *     closed rather than drained;
 *   - an error the body parsers raise is refused as what it is;
 *
 * and the function's own `refuse` writes the answer (JSON, its log line).
 * Everything else goes through Express untouched. If Express is not shaped as
 * expected (a framework upgrade), the guard says so once and stays out of the
 * way: the framework's defaults still refuse those requests.
 *
 * One function per process is the deployed shape. A process hosting several
 * functions (tests) has one guard, answering for the last installed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

export type BodyFailure = 'malformed_json' | 'body_too_large' | 'unsupported_media_type';

/** The usual answer to each failure, for functions with no table of their own (the edge has its REASONS). */
export const BODY_FAILURES: Record<BodyFailure, { status: number; message: string }> = {
  malformed_json: { status: 400, message: 'The request body is not valid JSON.' },
  body_too_large: { status: 413, message: 'The request body exceeds the size limit.' },
  unsupported_media_type: { status: 415, message: 'The request body is in an encoding or charset that is not supported.' },
};

export interface BodyGuard {
  /** Largest body accepted; a larger declared Content-Length is refused before reading. Unset: no early check. */
  maxBodyBytes?: number;
  /** Writes the answer to a refused request (and its log line). */
  refuse(req: IncomingMessage, res: ServerResponse, failure: BodyFailure, error?: unknown): void;
  /** Where the guard reports that it could not install itself. */
  warn(message: string): void;
}

type Done = (err?: unknown) => void;
type Handle = (this: ExpressApp, req: IncomingMessage, res: ServerResponse, callback?: Done) => void;
interface ExpressApp {
  get(setting: string): unknown;
}
interface ExpressModule {
  application?: { handle?: Handle };
}
type FinalHandler = (req: IncomingMessage, res: ServerResponse, options: { env: unknown }) => Done;

/** What body-parser's errors (`err.type`) mean; other `entity.*` errors are about the body's bytes too. */
const PARSER_ERRORS: Record<string, BodyFailure> = {
  'entity.parse.failed': 'malformed_json',
  'entity.too.large': 'body_too_large',
  'encoding.unsupported': 'unsupported_media_type',
  'charset.unsupported': 'unsupported_media_type',
};

let current: (() => BodyGuard) | undefined;
let state: 'none' | 'installed' | 'unavailable' = 'none';

export function installBodyGuard(guard: () => BodyGuard): void {
  current = guard;
  if (state !== 'none') return;
  const { express, finalhandler } = frameworkExpress() ?? {};
  const original = express?.application?.handle;
  if (!express?.application || typeof original !== 'function' || typeof finalhandler !== 'function') {
    state = 'unavailable';
    guard().warn(
      "body guard not installed: the functions-framework's Express has no application.handle; its own error pages answer bad bodies",
    );
    return;
  }
  express.application.handle = function guardedHandle(req, res, callback) {
    // A callback means a mounted sub-app, not a request from the server: leave it alone.
    if (callback || !current) return original.call(this, req, res, callback);
    const active = current();
    // The framework's parsers inflate gzip/deflate/br bodies up to their own 1 GB limit: a 1 MB
    // upload could inflate to 1 GB before anything of ours runs. No platform compresses its webhooks.
    if (isCompressed(req.headers['content-encoding'])) {
      res.setHeader('connection', 'close');
      return active.refuse(req, res, 'unsupported_media_type');
    }
    const max = active.maxBodyBytes;
    let capped: { refused: boolean } | undefined;
    if (max !== undefined) {
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > max) {
        res.setHeader('connection', 'close');
        return active.refuse(req, res, 'body_too_large');
      }
      // Node's parser holds a declared length to its word; only a body of unknown length needs counting.
      if (req.headers['transfer-encoding'] !== undefined) capped = capBody(req, res, max, active);
    }
    return original.call(this, req, res, (err?: unknown) => {
      // Already answered (the body passed the limit while it arrived): the connection is closing.
      if (capped?.refused) return;
      const failure = parserFailure(err);
      if (failure) return active.refuse(req, res, failure, err);
      // Not ours (no route, an aborted upload): Express's own final handler, as without the guard.
      return finalhandler(req, res, { env: this.get('env') })(err);
    });
  };
  state = 'installed';
}

/** Any Content-Encoding but `identity`: the parsers would decompress it, unbounded by our limit. */
function isCompressed(encoding: string | undefined): boolean {
  return encoding !== undefined && encoding.trim() !== '' && encoding.trim().toLowerCase() !== 'identity';
}

/**
 * Counts the body's bytes as the request stream emits them to whoever reads it
 * (the framework's body parser). Past `max`, the request is refused at once,
 * with `connection: close`, and no further chunk reaches the parser, which
 * then ends with the closed connection (its error is not answered twice).
 */
function capBody(req: IncomingMessage, res: ServerResponse, max: number, guard: BodyGuard): { refused: boolean } {
  const emit = req.emit;
  const state = { refused: false };
  let received = 0;
  req.emit = function cappedEmit(this: IncomingMessage, event: string | symbol, ...args: unknown[]): boolean {
    // Once refused, the parser gets nothing more, not even the end of what it has: it must not hand a
    // cut body to the function (which would answer a second time); it ends with the closed connection.
    if (state.refused && (event === 'data' || event === 'end')) return false;
    if (event === 'data') {
      received += (args[0] as { length: number }).length;
      if (received > max) {
        state.refused = true;
        res.setHeader('connection', 'close');
        guard.refuse(req, res, 'body_too_large');
        return false;
      }
    }
    return emit.apply(this, [event, ...args] as Parameters<typeof emit>);
  } as typeof req.emit;
  return state;
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

function parserFailure(err: unknown): BodyFailure | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const type = (err as { type?: unknown }).type;
  if (typeof type !== 'string') return undefined;
  return PARSER_ERRORS[type] ?? (type.startsWith('entity.') ? 'malformed_json' : undefined);
}

/** Writes a complete answer with a Content-Length (a refusal may close the connection right after). */
export function writeAnswer(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const bytes = Buffer.from(body);
  res.writeHead(status, { ...headers, 'content-length': String(bytes.length) });
  res.end(bytes);
}
