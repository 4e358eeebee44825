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
 *   - a request target no route takes (`OPTIONS *`, the framework's own
 *     `/favicon.ico` and `/robots.txt`, a path Express does not match) is 404;
 *
 * and the function's own `refuse` writes the answer (JSON, its log line).
 * It also wraps the framework's `getServer`, so what node's HTTP server would
 * refuse with a bodiless page of its own gets JSON too: framing its parser
 * cannot read (`clientError`), an HTTP/1.1 request without Host, an `Expect`
 * other than 100-continue.
 * Everything else goes through Express untouched. If Express is not shaped as
 * expected (a framework upgrade), the guard says so once and stays out of the
 * way: the framework's defaults still refuse those requests.
 *
 * One function per process is the deployed shape. A process hosting several
 * functions (tests) has one guard, answering for the last installed.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import path from 'node:path';

export type BodyFailure =
  'malformed_json' | 'body_too_large' | 'unsupported_media_type' | 'not_found' | 'expectation_failed' | 'malformed_request';

/** The usual answer to each failure, for functions with no table of their own (the edge has its REASONS). */
export const BODY_FAILURES: Record<BodyFailure, { status: number; message: string }> = {
  malformed_json: { status: 400, message: 'The request body is not valid JSON.' },
  body_too_large: { status: 413, message: 'The request body exceeds the size limit.' },
  unsupported_media_type: { status: 415, message: 'The request body is in an encoding, charset or media type that is not supported.' },
  not_found: { status: 404, message: 'There is nothing at this request target.' },
  expectation_failed: { status: 417, message: 'The only expectation supported is 100-continue.' },
  malformed_request: { status: 400, message: 'The request is not valid HTTP/1.1.' },
};

/**
 * What node's HTTP parser cannot read (no request exists, so no function's
 * `refuse` can answer): the status node itself would give, as JSON.
 */
const UNPARSEABLE_REQUEST: Record<string, { status: number; error: string; message: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, error: 'headers_too_large', message: 'The request headers are too large.' },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, error: 'body_too_large', message: 'The chunk extensions are too large.' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, error: 'request_timeout', message: 'The request did not arrive in time.' },
};
const MALFORMED_REQUEST = { status: 400, error: 'malformed_request', message: BODY_FAILURES.malformed_request.message };

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
  // The urlencoded parser's limits (1,000 fields, 32 levels of brackets): a form is no body we take anyway.
  'parameters.too.many': 'unsupported_media_type',
  'querystring.parse.rangeError': 'unsupported_media_type',
};

/** Paths the framework answers itself (an empty 404) before any function runs; compared as Express does, case-insensitively. */
const FRAMEWORK_PATHS = ['/favicon.ico', '/robots.txt'];

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
    // HTTP/1.1 requires Host (RFC 9112 §3.2); node's own check (a bodiless 400) is handed to us by armServers.
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      res.setHeader('connection', 'close');
      return active.refuse(req, res, 'malformed_request');
    }
    // A target that is no path (`OPTIONS *`, an absolute URL) matches no route, and the framework's own
    // routes answer a bare 404: both are ours to answer, as JSON, before any parser reads the body.
    if (!routable(req.url)) return active.refuse(req, res, 'not_found');
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
      // No error: no route took the request (a target Express's router does not match): a JSON 404.
      if (err === undefined || err === null) return active.refuse(req, res, 'not_found');
      // Not ours (an aborted upload): Express's own final handler, as without the guard.
      return finalhandler(req, res, { env: this.get('env') })(err);
    });
  };
  state = 'installed';
  armServers(guard);
}

/**
 * Wraps the framework's getServer (read by its CLI and its testing module at
 * call time), so the server it builds answers what never becomes a request
 * as JSON too: framing node's parser refuses (`clientError`, else a bodiless
 * 400/431) and an `Expect` other than 100-continue (else a bodiless 417).
 */
function armServers(guard: () => BodyGuard): void {
  const serverModule = frameworkModule<{ getServer?: (...args: unknown[]) => Server }>('server.js');
  const getServer = serverModule?.getServer;
  if (!serverModule || typeof getServer !== 'function') {
    guard().warn("body guard: the functions-framework has no getServer; node's own bodiless answers refuse unparseable requests");
    return;
  }
  serverModule.getServer = function armedGetServer(this: unknown, ...args: unknown[]): Server {
    const server = getServer.apply(this, args);
    // Checked by the guard instead, which answers in JSON (node would write a bodiless 400).
    (server as Server & { requireHostHeader?: boolean }).requireHostHeader = false;
    server.on('clientError', answerClientError);
    server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('connection', 'close');
      if (current) current().refuse(req, res, 'expectation_failed');
      else writeAnswer(res, 417, {}, '');
    });
    return server;
  };
}

/** Node's default clientError answer (status by error code, then close), with a JSON body. */
function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  const response = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || err.code === 'ECONNRESET' || response?.headersSent) {
    socket.destroy();
    return;
  }
  const { status, error, message } = UNPARSEABLE_REQUEST[err.code ?? ''] ?? MALFORMED_REQUEST;
  const body = JSON.stringify({ error, message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Bad Request'}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      // No request exists to carry the caller's X-Request-Id: a new one, so every answer has one (the JSON APIs promise it).
      `x-request-id: ${randomUUID()}\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
};

function frameworkModule<T>(file: string): T | undefined {
  try {
    // The package exports only its index and testing: resolve the file next to the index (build/src/).
    const dir = path.dirname(require.resolve('@google-cloud/functions-framework'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path.join(dir, file)) as T;
  } catch {
    return undefined;
  }
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

/** An origin-form target the framework hands to the function: a path, and not one of the framework's own. */
function routable(url: string | undefined): boolean {
  if (!url?.startsWith('/')) return false;
  const queryAt = url.indexOf('?');
  const path = (queryAt < 0 ? url : url.slice(0, queryAt)).toLowerCase();
  return !FRAMEWORK_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
}

function parserFailure(err: unknown): BodyFailure | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { type, status } = err as { type?: unknown; status?: unknown };
  const clientError = typeof status === 'number' && status >= 400 && status < 500;
  // No parser's error, but the router's own 4xx (a path segment it cannot percent-decode): no route takes it.
  if (typeof type !== 'string') return clientError ? 'not_found' : undefined;
  const known = PARSER_ERRORS[type] ?? (type.startsWith('entity.') ? 'malformed_json' : undefined);
  if (known) return known;
  // Any other refusal of the body by a parser (a length that does not match the body…): a bad body, answered as such.
  return clientError && type !== 'request.aborted' ? 'malformed_json' : undefined;
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
