/**
 * Structured logging in the shape Cloud Logging reads from stdout: one JSON
 * object per line with `severity` and `message`, plus our correlation fields
 * (request_id, event_id, platform, ...). `LOG_FORMAT=pretty` prints one
 * readable line for people running the stack locally; `LOG_LEVEL` filters.
 *
 * Never pass a secret in fields: loggers do not know what a secret is.
 */
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
}

function threshold(level: string | undefined): number {
  const key = (level ?? 'INFO').toUpperCase();
  if (key === 'WARN') return RANK.WARNING;
  return RANK[key as keyof typeof RANK] ?? RANK.INFO;
}

function serializeError(err: unknown): unknown {
  if (err instanceof Error) return { name: err.name, message: err.message };
  return err;
}

export function createLogger(base: LogFields = {}, options: LoggerOptions = {}): Logger {
  const min = threshold(options.level ?? process.env.LOG_LEVEL);
  const format = options.format ?? (process.env.LOG_FORMAT === 'pretty' ? 'pretty' : 'json');
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const projectId = options.projectId ?? process.env.GOOGLE_CLOUD_PROJECT;

  const emit = (severity: Severity, message: string, fields?: LogFields): void => {
    if (RANK[severity] < min) return;
    const entry: LogFields = { severity, message };
    // Absent values are left out, so optional fields never print as `undefined`.
    for (const key in base) if (base[key] !== undefined) entry[key] = base[key];
    if (fields) for (const key in fields) if (fields[key] !== undefined) entry[key] = fields[key];
    if (entry.error !== undefined) entry.error = serializeError(entry.error);
    if (typeof entry.trace_id === 'string' && projectId) {
      entry['logging.googleapis.com/trace'] = `projects/${projectId}/traces/${entry.trace_id}`;
      delete entry.trace_id;
    }
    if (format === 'pretty') {
      const { severity: s, message: m, ...rest } = entry;
      const extras = Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      write(`${String(s).padEnd(7)} ${String(m)}${extras ? '  ' + extras : ''}`);
    } else {
      write(JSON.stringify(entry));
    }
  };

  return {
    debug: (m, f) => emit('DEBUG', m, f),
    info: (m, f) => emit('INFO', m, f),
    notice: (m, f) => emit('NOTICE', m, f),
    warn: (m, f) => emit('WARNING', m, f),
    error: (m, f) => emit('ERROR', m, f),
    child: (fields) => createLogger({ ...base, ...fields }, options),
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
