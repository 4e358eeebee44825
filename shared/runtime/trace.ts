/**
 * One trace per webhook, across HTTP and Pub/Sub. The edge starts (or
 * continues, from the platform's `traceparent` / `X-Cloud-Trace-Context`) a
 * trace; every message published while handling it carries the W3C
 * traceparent in the attribute Google's Pub/Sub client libraries use for
 * OpenTelemetry (`googclient_traceparent`), and the edge's receive time; every
 * pushed function continues the trace from those attributes.
 *
 * The current delivery (trace context + edge receive time) is held in an
 * AsyncLocalStorage, so the publish sites (envelopes, rejections, execution
 * requests, outbox sends) add the attributes without being handed it.
 *
 * Spans: with TRACE_EXPORTER unset or `none` a span is only a fresh span id
 * (log lines still carry trace, spanId and trace_sampled); otherwise
 * ./otel.ts is loaded at the function's setup and records real spans (see there).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomFillSync } from 'node:crypto';
import type { SpanRecorder } from './otel';
import { ConfigError } from './env';

type Headers = Record<string, string | string[] | undefined>;

export interface TraceContext {
  /** 32 lowercase hex digits, not all zero. */
  traceId: string;
  /** 16 lowercase hex digits, not all zero: the span this process is in. */
  spanId: string;
  /** Whether the trace is recorded (W3C trace-flags bit 0, Cloud Trace's `o=1`). */
  sampled: boolean;
}

/** The attribute @google-cloud/pubsub's OpenTelemetry propagation reads and writes (its telemetry-tracing.ts `modernAttributeName`). */
export const TRACEPARENT_ATTRIBUTE = 'googclient_traceparent';
/** When the edge received the webhook a message descends from (ISO 8601): the start of every age metric. */
export const ORIGIN_RECEIVED_AT_ATTRIBUTE = 'origin_received_at';

const HEX_TRACE = /^[0-9a-f]{32}$/;
const HEX_SPAN = /^[0-9a-f]{16}$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

function validIds(traceId: string, spanId: string): boolean {
  return HEX_TRACE.test(traceId) && traceId !== ZERO_TRACE && HEX_SPAN.test(spanId) && spanId !== ZERO_SPAN;
}

/** W3C `traceparent` (version 00, or a later version read as 00 says); undefined when malformed. */
export function parseTraceparent(value: string | undefined): TraceContext | undefined {
  if (!value) return undefined;
  const [version, traceId, spanId, flags] = value.trim().toLowerCase().split('-');
  if (!version || !/^[0-9a-f]{2}$/.test(version) || version === 'ff') return undefined;
  if (!traceId || !spanId || !flags || !/^[0-9a-f]{2}$/.test(flags) || !validIds(traceId, spanId)) return undefined;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

/** `X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=OPTIONS` (span id in decimal); undefined when malformed. */
export function parseCloudTraceContext(value: string | undefined): TraceContext | undefined {
  const m = value && /^([0-9a-fA-F]{32})\/(\d{1,20})(?:;o=([0-9]+))?$/.exec(value.trim());
  if (!m) return undefined;
  let span: bigint;
  try {
    span = BigInt(m[2]!);
  } catch {
    return undefined;
  }
  if (span >= 1n << 64n) return undefined;
  const traceId = m[1]!.toLowerCase();
  const spanId = span.toString(16).padStart(16, '0');
  if (!validIds(traceId, spanId)) return undefined;
  return { traceId, spanId, sampled: m[3] === '1' };
}

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The caller's trace: `traceparent` first (exact span id), then Cloud's own header. */
export function traceFromHeaders(headers: Headers): TraceContext | undefined {
  return parseTraceparent(header(headers, 'traceparent')) ?? parseCloudTraceContext(header(headers, 'x-cloud-trace-context'));
}

export function traceFromAttributes(attributes: Record<string, string> | undefined): TraceContext | undefined {
  return parseTraceparent(attributes?.[TRACEPARENT_ATTRIBUTE]);
}

export function formatTraceparent(ctx: TraceContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-0${ctx.sampled ? 1 : 0}`;
}

/** Random bytes are drawn 4 KiB at a time: one randomBytes call per id cost more than a whole OpenTelemetry span (docs/performance.md#tracing-the-sdk-only-when-asked). */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

function randomHex(bytes: number): string {
  for (;;) {
    if (poolAt + bytes > pool.length) {
      randomFillSync(pool);
      poolAt = 0;
    }
    const hex = pool.toString('hex', poolAt, (poolAt += bytes));
    // All zeros is an invalid W3C id (one chance in 2^64 or more).
    if (!/^0+$/.test(hex)) return hex;
  }
}

export const newTraceId = (): string => randomHex(16);
export const newSpanId = (): string => randomHex(8);

/**
 * The fields a log line needs to join its trace; log.ts turns them into
 * `logging.googleapis.com/trace`, `.../spanId` and `.../trace_sampled`.
 */
export function traceLogFields(ctx: TraceContext): { trace_id: string; span_id: string; trace_sampled: boolean } {
  return { trace_id: ctx.traceId, span_id: ctx.spanId, trace_sampled: ctx.sampled };
}

export type SpanKind = 'server' | 'consumer' | 'internal';

export interface Span {
  readonly context: TraceContext;
  /** Ends the span (an error marks it failed). Idempotent. */
  end(error?: unknown): void;
}

export type TraceExporter = 'none' | 'cloud-trace' | 'noop';
const EXPORTERS: readonly TraceExporter[] = ['none', 'cloud-trace', 'noop'];

/** TRACE_EXPORTER, validated: an unknown value is a ConfigError naming the variable. */
export function traceExporter(env: Record<string, string | undefined> = process.env): TraceExporter {
  const raw = (env.TRACE_EXPORTER ?? '').trim() || 'none';
  if (!(EXPORTERS as readonly string[]).includes(raw)) {
    throw new ConfigError('TRACE_EXPORTER', `TRACE_EXPORTER must be one of ${EXPORTERS.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as TraceExporter;
}

let recorder: SpanRecorder | null | undefined;

/**
 * Reads the trace settings and makes the span recorder, at a function's setup
 * (its push check, edge or JSON API is built): a bad value fails the cold start
 * rather than every request. With `none` the OpenTelemetry SDK is never loaded.
 */
export function setUpTracing(env: Record<string, string | undefined> = process.env): void {
  const exporter = traceExporter(env);
  if (recorder !== undefined) return;
  // A lazy require keeps the SDK's module initialisation off the cold start when tracing is off.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  recorder = exporter === 'none' ? null : (require('./otel') as typeof import('./otel')).createSpanRecorder(exporter, env);
}

/** A span continuing `parent` (or starting a trace); recorded by OpenTelemetry when TRACE_EXPORTER says so. */
export function startSpan(name: string, parent: TraceContext | undefined, kind: SpanKind = 'internal'): Span {
  // Set up already by every function; a script or test that built none is set up from process.env here.
  if (recorder === undefined) setUpTracing();
  const rec = recorder;
  if (rec) return rec.start(name, parent, kind);
  const context: TraceContext = { traceId: parent?.traceId ?? newTraceId(), spanId: newSpanId(), sampled: parent?.sampled ?? false };
  return { context, end: () => undefined };
}

/** What a function is handling now: the trace and when the webhook it descends from reached the edge. */
export interface Delivery {
  trace: TraceContext;
  /** ISO 8601; absent for messages that descend from no webhook (API calls, scheduled checks). */
  receivedAt?: string;
}

const current = new AsyncLocalStorage<Delivery>();

/** Runs `fn` with `delivery` as the current one: what it publishes carries it on. */
export function withDelivery<T>(delivery: Delivery, fn: () => T): T {
  return current.run(delivery, fn);
}

export function currentDelivery(): Delivery | undefined {
  return current.getStore();
}

/** The attributes that carry a delivery onto a message. */
export function deliveryAttributes(delivery: Delivery): Record<string, string> {
  const out: Record<string, string> = { [TRACEPARENT_ATTRIBUTE]: formatTraceparent(delivery.trace) };
  if (delivery.receivedAt) out[ORIGIN_RECEIVED_AT_ATTRIBUTE] = delivery.receivedAt;
  return out;
}

/** `attributes` plus the current delivery's, for every publish site (unchanged outside a delivery). */
export function carried(attributes: Record<string, string>): Record<string, string> {
  const delivery = current.getStore();
  return delivery ? { ...attributes, ...deliveryAttributes(delivery) } : attributes;
}

/** The edge receive time a pushed message carries, if a valid one. */
export function originReceivedAt(attributes: Record<string, string> | undefined, fallback?: string): string | undefined {
  const value = attributes?.[ORIGIN_RECEIVED_AT_ATTRIBUTE] ?? fallback;
  return value && Number.isFinite(Date.parse(value)) ? value : undefined;
}

/** Milliseconds from `receivedAt` to `now` (the age metrics' value), or undefined without a start. */
export function ageMs(receivedAt: string | undefined, now: Date = new Date()): number | undefined {
  if (!receivedAt) return undefined;
  const start = Date.parse(receivedAt);
  return Number.isFinite(start) ? Math.max(0, now.getTime() - start) : undefined;
}
