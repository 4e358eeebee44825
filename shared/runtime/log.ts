/**
 * Structured logging in the shape Cloud Logging reads from stdout: one JSON
 * object per line with `severity` and `message`, plus our correlation fields
 * (request_id, event_id, platform, ...). `LOG_FORMAT=pretty` prints one
 * readable line for people running the stack locally; `LOG_LEVEL` filters.
 *
 * Errors go in the `error` field (`log.error('...', { error: err })`). The
 * entry keeps the caller's message and adds, for Cloud Error Reporting
 * (https://cloud.google.com/error-reporting/docs/formatting-error-messages):
 * - at ERROR and above, the message's first line is the caller's, and the lines
 *   below are the error's stack as V8 prints it (`Name: message` then `    at`
 *   frames), followed by its causes (`[cause]: ...`, at most MAX_CAUSES, cycles
 *   cut); plus `serviceContext` (K_SERVICE / K_REVISION, which Cloud Run sets)
 *   and the ReportedErrorEvent `@type`. Error Reporting groups these.
 * - below ERROR, the same text goes under `error.stack` instead, so warnings
 *   keep their stack without becoming Error Reporting events.
 * `error` itself holds name, message, a string or numeric `code` and the cause
 * chain: never an error's other properties (a client library's error can carry
 * its request's headers). A thrown value that is not an Error is logged as
 * readable text: a string as is, an object by its `message` or as JSON.
 *
 * Never pass a secret in fields, nor in an error's message: loggers do not
 * know what a secret is, and redact nothing.
 */
import { types } from 'node:util';

export type Severity = 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR' | 'CRITICAL';
export type LogFields = Record<string, unknown>;

const RANK: Record<Severity | 'SILENT', number> = {
  DEBUG: 100,
  INFO: 200,
  NOTICE: 300,
  WARNING: 400,
  ERROR: 500,
  CRITICAL: 600,
  SILENT: 1000,
};

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  notice(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines all carry `fields` too. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level?: string;
  format?: 'json' | 'pretty';
  /** Where lines go; stdout by default. Tests capture lines here. */
  write?: (line: string) => void;
  /** GCP project, to turn a trace id into Cloud Logging's `logging.googleapis.com/trace`. */
  projectId?: string;
  /** Error Reporting's service and version; from K_SERVICE and K_REVISION by default. */
  serviceContext?: ServiceContext;
}

export interface ServiceContext {
  service: string;
  version?: string;
}

/** Marks a JSON payload as an error event for Error Reporting. */
export const REPORTED_ERROR_EVENT_TYPE = 'type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent';
/** Causes followed below the logged error; a longer chain ends with a note. */
export const MAX_CAUSES = 5;
/** Bounds on the stack text and on each error message, well under Cloud Logging's 256 KB an entry. */
const MAX_STACK_CHARS = 32_000;
const MAX_MESSAGE_CHARS = 4_000;

function threshold(level: string | undefined): number {
  const key = (level ?? 'INFO').toUpperCase();
  if (key === 'WARN') return RANK.WARNING;
  return RANK[key as keyof typeof RANK] ?? RANK.INFO;
}

function serviceContextFrom(env: NodeJS.ProcessEnv, base: LogFields): ServiceContext {
  const service = env.K_SERVICE || (typeof base.component === 'string' && base.component) || 'convotic';
  return env.K_REVISION ? { service, version: env.K_REVISION } : { service };
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text;
}

/** JSON for any value: cycles and shared objects print as [Circular], bigints as strings; undefined if it cannot be had. */
function safeJson(value: unknown): string | undefined {
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (typeof v === 'object' && v !== null) {
        if (seen.has(v)) return '[Circular]';
        seen.add(v);
      }
      return v;
    });
  } catch {
    return undefined;
  }
}

/** A field JSON cannot hold (a cycle, a bigint) must not turn a log call into a throw. */
function toJson(entry: LogFields): string {
  try {
    return JSON.stringify(entry);
  } catch {
    return (
      safeJson(entry) ??
      JSON.stringify({ severity: entry.severity, message: String(entry.message), log_error: 'the entry could not be serialized' })
    );
  }
}

/** Readable text for a thrown value that is not an Error (never `[object Object]`). */
function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'function') return `[function ${value.name || '(anonymous)'}]`;
  if (typeof value !== 'object' || value === null) return String(value);
  const o = value as Record<string, unknown>;
  if (typeof o.message === 'string') return typeof o.name === 'string' && o.name ? `${o.name}: ${o.message}` : o.message;
  return safeJson(value) ?? Object.prototype.toString.call(value);
}

/** An Error, also one made in another realm (a vm context, as under jest), where `instanceof` says no. */
function isError(value: unknown): value is Error {
  return value instanceof Error || types.isNativeError(value);
}

/** The error, then its causes: at most MAX_CAUSES, stopped at the first one already seen. */
function causeChain(err: Error): { links: unknown[]; end?: 'circular' | 'omitted' } {
  const links: unknown[] = [err];
  const seen = new Set<unknown>([err]);
  let current: unknown = err;
  while (isError(current) && current.cause !== undefined) {
    const cause: unknown = current.cause;
    if (seen.has(cause)) return { links, end: 'circular' };
    if (links.length > MAX_CAUSES) return { links, end: 'omitted' };
    links.push(cause);
    seen.add(cause);
    current = cause;
  }
  return { links };
}

/** V8's `error.stack` (`Name: message` then `    at` frames), else the header alone. */
function stackOf(err: Error): string {
  return typeof err.stack === 'string' && err.stack ? err.stack : `${err.name}: ${err.message}`;
}

function codeOf(value: object): string | number | undefined {
  const code = (value as { code?: unknown }).code;
  return typeof code === 'string' || typeof code === 'number' ? code : undefined;
}

interface LoggedError {
  /** What the entry's `error` field holds. */
  summary: unknown;
  /** The stack and causes as Node prints them, for an Error; readable text for another value. */
  text: string;
  isError: boolean;
}

function logged(value: unknown): LoggedError {
  if (!isError(value)) {
    // A string stays a string: some sites log a reason code in `error`.
    const text = clip(describe(value), MAX_MESSAGE_CHARS);
    if (typeof value !== 'object' || value === null) return { summary: typeof value === 'string' ? value : text, text, isError: false };
    const code = codeOf(value);
    return { summary: code === undefined ? { message: text } : { message: text, code }, text, isError: false };
  }
  const { links, end } = causeChain(value);
  const summaries = links.map((link) => {
    if (!isError(link)) return describe(link);
    const s: Record<string, unknown> = { name: link.name, message: clip(String(link.message), MAX_MESSAGE_CHARS) };
    const code = codeOf(link);
    if (code !== undefined) s.code = code;
    return s;
  });
  for (let i = summaries.length - 1; i > 0; i--) (summaries[i - 1] as Record<string, unknown>).cause = summaries[i];
  if (end)
    (summaries[summaries.length - 1] as Record<string, unknown>).cause = end === 'circular' ? '[Circular]' : '(further causes omitted)';
  const texts = links.map((link) => (isError(link) ? stackOf(link) : describe(link)));
  if (end) texts.push(end === 'circular' ? '[Circular]' : '... (further causes omitted)');
  return { summary: summaries[0], text: clip(texts.join('\n[cause]: '), MAX_STACK_CHARS), isError: true };
}

/*
 * The pretty format (LOG_FORMAT=pretty, the local stack only): one line of
 * `SEVERITY message  key=value ...` with the short fields, and the long ones
 * (objects, arrays, long text) each on an indented line below, cut at
 * PRETTY_BLOCK_MAX characters; then the stack. Object keys are sorted (id,
 * name, message, code first), so a map such as `consumers` reads the same on every line, and fractional numbers
 * are rounded (latency_ms=12.3, not 12.345678). The JSON format is not touched.
 */
/** A field longer than this (as text) goes on its own line below. */
export const PRETTY_INLINE_MAX = 60;
/** The first line takes fields up to about this width; the rest go below. */
export const PRETTY_LINE_MAX = 180;
/** A field on its own line is cut here. */
export const PRETTY_BLOCK_MAX = 400;

/** Two decimals below 10, one up to 1000, none above: enough to read a duration or a ratio. */
export function roundForDisplay(n: number): number {
  if (!Number.isFinite(n) || Number.isInteger(n)) return n;
  const abs = Math.abs(n);
  const scale = abs >= 1000 ? 1 : abs >= 10 ? 10 : 100;
  return Math.round(n * scale) / scale;
}

/** Keys read first in an object (an error's name and message), the others alphabetically. */
const LEADING_KEYS = ['id', 'name', 'message', 'code'];
function byDisplayOrder(a: string, b: string): number {
  const ia = LEADING_KEYS.indexOf(a);
  const ib = LEADING_KEYS.indexOf(b);
  if (ia >= 0 || ib >= 0) return (ia < 0 ? LEADING_KEYS.length : ia) - (ib < 0 ? LEADING_KEYS.length : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** JSON with sorted object keys and rounded numbers (cycles as [Circular], bigints as text). */
function displayJson(value: unknown): string {
  const seen = new WeakSet<object>();
  const normal = (v: unknown): unknown => {
    if (typeof v === 'number') return roundForDisplay(v);
    if (typeof v === 'bigint') return v.toString();
    if (typeof v !== 'object' || v === null) return v;
    if (seen.has(v)) return '[Circular]';
    seen.add(v);
    if (Array.isArray(v)) return v.map(normal);
    const json = (v as { toJSON?: () => unknown }).toJSON;
    if (typeof json === 'function') return normal(json.call(v));
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort(byDisplayOrder)) out[key] = normal((v as Record<string, unknown>)[key]);
    return out;
  };
  try {
    return JSON.stringify(normal(value)) ?? String(value);
  } catch {
    return String(value);
  }
}

function displayValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(roundForDisplay(value));
  return displayJson(value);
}

/**
 * One pretty entry: the line with the short fields (wrapped onto indented
 * lines past PRETTY_LINE_MAX), the long fields each on an indented line below,
 * then the stack. Continuation lines are indented by four spaces.
 */
export function prettyLine(severity: string, message: string, fields: LogFields, stack?: string): string {
  const out: string[] = [];
  const long: string[] = [];
  let line = `${severity.padEnd(7)} ${message}`;
  let sep = '  '; // two spaces after the message, one between fields
  for (const [key, value] of Object.entries(fields)) {
    const text = displayValue(value);
    if (text.length > PRETTY_INLINE_MAX || text.includes('\n')) {
      long.push(`    ${key}: ${clip(text.replace(/\n/g, '\\n'), PRETTY_BLOCK_MAX)}`);
      continue;
    }
    const part = `${key}=${text}`;
    if (sep === ' ' && line.length + 1 + part.length > PRETTY_LINE_MAX) {
      out.push(line);
      line = `    ${part}`;
    } else {
      line += sep + part;
    }
    sep = ' ';
  }
  out.push(line, ...long);
  if (stack !== undefined) for (const l of stack.split('\n')) out.push(`    ${l}`);
  return out.join('\n');
}

/** A logger's settings, read from its options and the environment once: children share them. */
interface Settings {
  min: number;
  format: 'json' | 'pretty';
  write: (line: string) => void;
  projectId: string | undefined;
  serviceContext: ServiceContext | undefined;
}

export function createLogger(base: LogFields = {}, options: LoggerOptions = {}): Logger {
  return logger(base, {
    min: threshold(options.level ?? process.env.LOG_LEVEL),
    format: options.format ?? (process.env.LOG_FORMAT === 'pretty' ? 'pretty' : 'json'),
    write: options.write ?? ((line: string) => process.stdout.write(line + '\n')),
    projectId: options.projectId ?? process.env.GOOGLE_CLOUD_PROJECT,
    serviceContext: options.serviceContext,
  });
}

/** A child per request (the pushed functions make one) must cost little: no environment reads, nothing resolved again. */
function logger(base: LogFields, settings: Settings): Logger {
  const { min, format, write, projectId } = settings;
  // Only ERROR lines carry it: worked out at the first one.
  let serviceContext = settings.serviceContext;

  const emit = (severity: Severity, message: string, fields?: LogFields): void => {
    if (RANK[severity] < min) return;
    const entry: LogFields = { severity, message };
    // Absent values are left out, so optional fields never print as `undefined`.
    for (const key in base) if (base[key] !== undefined) entry[key] = base[key];
    if (fields) for (const key in fields) if (fields[key] !== undefined) entry[key] = fields[key];
    // An Error in another field would print as {}. (Only an object can be one: no native check per string.)
    for (const key in entry) {
      const value = entry[key];
      if (key !== 'error' && typeof value === 'object' && value !== null && isError(value)) entry[key] = logged(value).summary;
    }
    let stack: string | undefined;
    if (entry.error !== undefined) {
      const error = logged(entry.error);
      entry.error = error.summary;
      if (RANK[severity] >= RANK.ERROR) {
        // Error Reporting reads the stack from `message`; the first line stays the caller's.
        entry.message = `${message}\n${error.text}`;
        entry.serviceContext = serviceContext ??= serviceContextFrom(process.env, base);
        entry['@type'] = REPORTED_ERROR_EVENT_TYPE;
      } else if (error.isError) {
        (entry.error as Record<string, unknown>).stack = error.text;
      }
      if (error.isError) stack = error.text;
    }
    if (typeof entry.trace_id === 'string' && projectId) {
      // Renamed fields are set undefined, which JSON leaves out, rather than deleted: a delete turns the entry
      // into a slow dictionary object for JSON.stringify, on a line the pushed functions write per request.
      entry['logging.googleapis.com/trace'] = `projects/${projectId}/traces/${entry.trace_id}`;
      entry.trace_id = undefined;
      // Cloud Logging's special fields: the span the line belongs to, and whether the trace is recorded (trace.ts).
      if (typeof entry.span_id === 'string') {
        entry['logging.googleapis.com/spanId'] = entry.span_id;
        entry.span_id = undefined;
      }
      if (typeof entry.trace_sampled === 'boolean') {
        entry['logging.googleapis.com/trace_sampled'] = entry.trace_sampled;
        entry.trace_sampled = undefined;
      }
    }
    if (format === 'pretty') {
      // The caller's line, then the stack indented below it; Error Reporting's fields are left to the JSON.
      const { severity: s, message: _m, serviceContext: _sc, '@type': _t, ...rest } = entry;
      for (const key in rest) if (rest[key] === undefined) delete rest[key];
      // The trace id alone reads best locally (`npm run send` prints it); span and sampling are for Cloud Logging.
      const traceName = rest['logging.googleapis.com/trace'];
      if (typeof traceName === 'string') rest.trace = traceName.slice(traceName.lastIndexOf('/') + 1);
      delete rest['logging.googleapis.com/trace'];
      delete rest['logging.googleapis.com/spanId'];
      delete rest['logging.googleapis.com/trace_sampled'];
      delete rest.span_id;
      delete rest.trace_sampled;
      if (stack !== undefined && rest.error && typeof rest.error === 'object') {
        const { stack: _stack, ...error } = rest.error as Record<string, unknown>;
        rest.error = error;
      }
      write(prettyLine(String(s), message, rest, stack));
    } else {
      write(toJson(entry));
    }
  };

  return {
    debug: (m, f) => emit('DEBUG', m, f),
    info: (m, f) => emit('INFO', m, f),
    notice: (m, f) => emit('NOTICE', m, f),
    warn: (m, f) => emit('WARNING', m, f),
    error: (m, f) => emit('ERROR', m, f),
    child: (fields) => logger({ ...base, ...fields }, settings),
  };
}

/**
 * Cloud Run / Cloud Functions pass `X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=1`
 * (and W3C `traceparent`); the trace id links our lines to the request in Cloud Logging.
 * It becomes the request id, a Pub/Sub attribute and part of document ids, and a
 * caller can send anything in these headers: only a short token of safe
 * characters is taken (a real trace id is 32 hex digits), else undefined and
 * the caller uses a UUID.
 */
export function traceIdFrom(headers: Record<string, string | string[] | undefined>): string | undefined {
  const cloud = headers['x-cloud-trace-context'];
  const value = Array.isArray(cloud) ? cloud[0] : cloud;
  if (value) return asTraceId(value.split('/')[0]);
  const parent = headers['traceparent'];
  const tp = Array.isArray(parent) ? parent[0] : parent;
  return asTraceId(tp?.split('-')[1]);
}

const TRACE_ID = /^[A-Za-z0-9._-]{1,128}$/;

function asTraceId(value: string | undefined): string | undefined {
  return value !== undefined && TRACE_ID.test(value) ? value : undefined;
}
