/**
 * The trace and the request line of a private API request (events API, blocks
 * API): continues the caller's trace (`traceparent` / `X-Cloud-Trace-Context`;
 * for a Pub/Sub push to the API, such as a replay job, the message's own),
 * gives the request's logger the trace fields, runs the route inside the
 * delivery so what it publishes (replays, internal events, platform.block.*)
 * carries the trace on, and writes one `request` line with Cloud Logging's
 * `httpRequest` when the answer is sent.
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import type { Logger } from './log';
import { httpRequestField } from './http-request';
import { isPushBody } from '../contracts/pubsub-push';
import { originReceivedAt, startSpan, traceFromAttributes, traceFromHeaders, traceLogFields, withDelivery } from './trace';

export interface TracedRequest {
  /** The request's logger, with the trace fields. */
  log: Logger;
  /** Runs `fn` inside the request's trace. */
  run<T>(fn: () => Promise<T>): Promise<T>;
}

export function traceRequest(req: Request, res: Response, log: Logger, name: string): TracedRequest {
  const started = process.hrtime.bigint();
  const pushed = isPushBody(req.body) ? req.body.message.attributes : undefined;
  // What the request publishes (replays, platform.block.*) is aged from now, the API request being its POST,
  // unless it is a push carrying the request that started it.
  const receivedAt = originReceivedAt(pushed) ?? new Date().toISOString();
  const span = startSpan(name, traceFromAttributes(pushed) ?? traceFromHeaders(req.headers), 'server');
  const traced = log.child(traceLogFields(span.context));
  res.once('finish', () => {
    const latencyMs = Number(process.hrtime.bigint() - started) / 1e6;
    const length = Number(res.getHeader('content-length'));
    span.end(res.statusCode >= 500 ? res.statusCode : undefined);
    traced.info('request', {
      status: res.statusCode,
      latency_ms: latencyMs,
      httpRequest: httpRequestField({
        method: req.method,
        url: req.originalUrl ?? req.url,
        status: res.statusCode,
        latencyMs,
        headers: req.headers,
        remoteIp: req.socket?.remoteAddress,
        requestSize: req.rawBody?.length,
        responseSize: Number.isFinite(length) ? length : undefined,
      }),
    });
  });
  return { log: traced, run: (fn) => withDelivery({ trace: span.context, receivedAt }, fn) };
}
