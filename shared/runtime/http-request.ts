/**
 * Cloud Logging's `httpRequest` field for the one line an HTTP function writes
 * per request (https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry#HttpRequest):
 * Logs Explorer shows it as the request, and log-based metrics can read its
 * status and latency. The URL keeps its path and query, with the value of
 * every parameter that can hold a credential (Meta's `hub.verify_token`, any
 * `*token*`, `*secret*`, `*key*`, `*signature*`, `*password*`) replaced.
 */
export interface HttpRequestFacts {
  method: string;
  /** Path and query as received. */
  url: string;
  status: number;
  latencyMs: number;
  headers: Record<string, string | string[] | undefined>;
  /** The peer's address when the host knows it (behind Google's front end, X-Forwarded-For is read first). */
  remoteIp?: string;
  requestSize?: number;
  responseSize?: number;
}

export interface HttpRequestField {
  requestMethod: string;
  requestUrl: string;
  status: number;
  /** A protobuf Duration in JSON: seconds with a fraction and an `s`. */
  latency: string;
  userAgent?: string;
  remoteIp?: string;
  requestSize?: string;
  responseSize?: string;
}

const SECRET_PARAM = /token|secret|key|signature|password|auth/i;
export const REDACTED = 'REDACTED';

/** The request target with credential-bearing query values replaced (the rest as sent). */
export function redactedUrl(target: string): string {
  const queryAt = target.indexOf('?');
  if (queryAt < 0) return target;
  const hashAt = target.indexOf('#', queryAt);
  const query = target.slice(queryAt + 1, hashAt < 0 ? undefined : hashAt);
  const parts = query.split('&').map((part) => {
    const eq = part.indexOf('=');
    const rawName = eq < 0 ? part : part.slice(0, eq);
    let name = rawName;
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, ' '));
    } catch {
      // An undecodable name is judged as sent.
    }
    return eq >= 0 && SECRET_PARAM.test(name) ? `${rawName}=${REDACTED}` : part;
  });
  return `${target.slice(0, queryAt)}?${parts.join('&')}`;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `1.5` ms -> `"0.0015s"`. */
export function durationText(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(6).replace(/\.?0+$/, '') || '0'}s`;
}

export function httpRequestField(facts: HttpRequestFacts): HttpRequestField {
  const forwarded = first(facts.headers['x-forwarded-for'])?.split(',')[0]?.trim();
  const field: HttpRequestField = {
    requestMethod: facts.method,
    requestUrl: redactedUrl(facts.url).slice(0, 2000),
    status: facts.status,
    latency: durationText(facts.latencyMs),
  };
  const userAgent = first(facts.headers['user-agent']);
  if (userAgent) field.userAgent = userAgent.slice(0, 500);
  const remoteIp = forwarded || facts.remoteIp;
  if (remoteIp) field.remoteIp = remoteIp;
  if (facts.requestSize !== undefined) field.requestSize = String(facts.requestSize);
  if (facts.responseSize !== undefined) field.responseSize = String(facts.responseSize);
  return field;
}
