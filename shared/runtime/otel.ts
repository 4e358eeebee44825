/**
 * Real spans, loaded by trace.ts only when TRACE_EXPORTER is not `none`: an
 * OpenTelemetry tracer whose spans go to Cloud Trace (`cloud-trace`) or are
 * recorded and dropped (`noop`: the SDK's cost without a network, for
 * benches). No global provider or context manager is registered: trace.ts
 * passes each span's parent explicitly, so nothing else in the process
 * changes behaviour.
 *
 * Cloud Trace takes OTLP itself, at the Telemetry API
 * (https://cloud.google.com/trace/docs/migrate-to-otlp-endpoints): the
 * community OTLP exporter, over HTTP with protobuf, with a Google access
 * token from the function's service account (roles/telemetry.tracesWriter)
 * and the project in the `gcp.project_id` resource attribute. Google's own
 * Cloud Trace exporter package is deprecated (archived after 2026-10-30).
 * TRACE_OTLP_URL points the export elsewhere, without Google credentials: a
 * local collector, or the fake in the tests.
 *
 * Sampling is parent-based: a caller's sampled flag (Cloud Run samples the
 * requests it fronts and says so in X-Cloud-Trace-Context) is followed; a
 * trace we start ourselves is sampled at TRACE_SAMPLE_RATIO.
 *
 * Spans are exported in batches in the background: where Cloud Run gives CPU
 * only during requests a batch can wait for the next request, and an instance
 * shut down loses its last one. The log lines, which carry the same trace,
 * are not affected.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { GoogleAuth } from 'google-auth-library';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { envNumber } from './env';
import type { Span, SpanKind as OurKind, TraceContext } from './trace';

export interface SpanRecorder {
  start(name: string, parent: TraceContext | undefined, kind: OurKind): Span;
  /** Exports the ended spans now (they are otherwise batched). */
  flush(): Promise<void>;
}

const KINDS: Record<OurKind, SpanKind> = { server: SpanKind.SERVER, consumer: SpanKind.CONSUMER, internal: SpanKind.INTERNAL };

/** Records and drops: what `noop` measures is the SDK's own work per span. */
class DroppingExporter implements SpanExporter {
  export(_spans: ReadableSpan[], done: (result: { code: 0 }) => void): void {
    done({ code: 0 });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Cloud Trace's OTLP endpoint (the Telemetry API). */
const CLOUD_TRACE_OTLP_URL = 'https://telemetry.googleapis.com/v1/traces';

/** OTLP to Cloud Trace with the service account's token, or to TRACE_OTLP_URL as it is. */
function otlpExporter(env: Record<string, string | undefined>): SpanExporter {
  const url = env.TRACE_OTLP_URL || CLOUD_TRACE_OTLP_URL;
  if (url !== CLOUD_TRACE_OTLP_URL) return new OTLPTraceExporter({ url });
  const auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/trace.append'] });
  return new OTLPTraceExporter({
    url,
    // Asked before each export: the client caches the token and refreshes it before it expires.
    headers: async (): Promise<Record<string, string>> => {
      const { token } = await (await auth.getClient()).getAccessToken();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
  });
}

export function createSpanRecorder(exporter: 'cloud-trace' | 'noop', env: Record<string, string | undefined> = process.env): SpanRecorder {
  const ratio = envNumber(env, 'TRACE_SAMPLE_RATIO', 0.1, { min: 0, max: 1 });
  const resource = resourceFromAttributes({
    'service.name': env.K_SERVICE || 'convotic',
    ...(env.GOOGLE_CLOUD_PROJECT ? { 'gcp.project_id': env.GOOGLE_CLOUD_PROJECT } : {}),
  });
  const provider = new BasicTracerProvider({
    resource,
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }),
    spanProcessors: [new BatchSpanProcessor(exporter === 'cloud-trace' ? otlpExporter(env) : new DroppingExporter())],
  });
  const tracer = provider.getTracer('convotic');
  return {
    flush: () => provider.forceFlush(),
    start(name, parent, kind) {
      const ctx = parent
        ? trace.setSpanContext(ROOT_CONTEXT, {
            traceId: parent.traceId,
            spanId: parent.spanId,
            traceFlags: parent.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
            isRemote: true,
          })
        : ROOT_CONTEXT;
      const span = tracer.startSpan(name, { kind: KINDS[kind] }, ctx);
      const sc = span.spanContext();
      let ended = false;
      return {
        context: { traceId: sc.traceId, spanId: sc.spanId, sampled: (sc.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED },
        end(error?: unknown) {
          if (ended) return;
          ended = true;
          if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
          span.end();
        },
      };
    },
  };
}
