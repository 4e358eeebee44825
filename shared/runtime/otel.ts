/**
 * Real spans, loaded by trace.ts only when TRACE_EXPORTER is not `none`: an
 * OpenTelemetry tracer whose spans go to Cloud Trace (`cloud-trace`, through
 * Google's exporter, batched) or are recorded and dropped (`noop`: the SDK's
 * cost without a network, for benches). No global provider or context manager
 * is registered: trace.ts passes each span's parent explicitly, so nothing
 * else in the process changes behaviour.
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
import { TraceExporter } from '@google-cloud/opentelemetry-cloud-trace-exporter';
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

export function createSpanRecorder(exporter: 'cloud-trace' | 'noop', env: Record<string, string | undefined> = process.env): SpanRecorder {
  const ratio = envNumber(env, 'TRACE_SAMPLE_RATIO', 0.1, { min: 0, max: 1 });
  const provider = new BasicTracerProvider({
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }),
    spanProcessors: [new BatchSpanProcessor(exporter === 'cloud-trace' ? new TraceExporter() : new DroppingExporter())],
  });
  const tracer = provider.getTracer('convotic');
  return {
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
