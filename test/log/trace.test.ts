/**
 * The trace context: read from the headers a caller sends and from Pub/Sub
 * attributes, carried onto what is published inside a delivery, and turned
 * into Cloud Logging's trace fields by the logger.
 */
import {
  ageMs,
  carried,
  formatTraceparent,
  parseCloudTraceContext,
  parseTraceparent,
  startSpan,
  traceExporter,
  traceFromAttributes,
  traceFromHeaders,
  traceLogFields,
  TRACEPARENT_ATTRIBUTE,
  ORIGIN_RECEIVED_AT_ATTRIBUTE,
  withDelivery,
} from '../../shared/runtime/trace';
import { createSpanRecorder } from '../../shared/runtime/otel';
import { ConfigError } from '../../shared/runtime/env';
import { requirePushAuth } from '../../shared/runtime/push-auth';
import { serveJsonApi } from '../../shared/events-api/http';
import { createWebhookFunction } from '../../shared/edge/function';
import { edge as telegramEdge } from '../../shared/platforms/telegram/edge';
import { createLogger } from '../../shared/runtime/log';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('reading a trace', () => {
  test.each([
    [`00-${TRACE}-${SPAN}-01`, { traceId: TRACE, spanId: SPAN, sampled: true }],
    [`00-${TRACE}-${SPAN}-00`, { traceId: TRACE, spanId: SPAN, sampled: false }],
    [`00-${TRACE.toUpperCase()}-${SPAN}-03`, { traceId: TRACE, spanId: SPAN, sampled: true }],
  ])('traceparent %s', (value, expected) => {
    expect(parseTraceparent(value)).toEqual(expected);
  });

  test.each([
    '',
    'garbage',
    `ff-${TRACE}-${SPAN}-01`,
    `00-${'0'.repeat(32)}-${SPAN}-01`,
    `00-${TRACE}-${'0'.repeat(16)}-01`,
    `00-${TRACE.slice(1)}-${SPAN}-01`,
    `00-${TRACE}-${SPAN}-1`,
  ])('a malformed traceparent %j is no trace', (value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });

  test('X-Cloud-Trace-Context: the decimal span id becomes 16 hex digits, o=1 is sampled', () => {
    expect(parseCloudTraceContext(`${TRACE}/1;o=1`)).toEqual({ traceId: TRACE, spanId: '0000000000000001', sampled: true });
    expect(parseCloudTraceContext(`${TRACE}/18446744073709551615`)).toEqual({ traceId: TRACE, spanId: 'ffffffffffffffff', sampled: false });
    expect(parseCloudTraceContext(`${TRACE}/18446744073709551616;o=1`)).toBeUndefined();
    expect(parseCloudTraceContext('tracemessenger/1;o=1')).toBeUndefined();
  });

  test('headers: traceparent first, else the Cloud header; attributes: googclient_traceparent', () => {
    const other = 'a'.repeat(32);
    expect(traceFromHeaders({ traceparent: `00-${TRACE}-${SPAN}-01`, 'x-cloud-trace-context': `${other}/5;o=1` })?.traceId).toBe(TRACE);
    expect(traceFromHeaders({ 'x-cloud-trace-context': `${other}/5;o=1` })?.traceId).toBe(other);
    expect(traceFromHeaders({})).toBeUndefined();
    expect(traceFromAttributes({ [TRACEPARENT_ATTRIBUTE]: `00-${TRACE}-${SPAN}-01` })).toEqual({
      traceId: TRACE,
      spanId: SPAN,
      sampled: true,
    });
    expect(traceFromAttributes({ traceparent: `00-${TRACE}-${SPAN}-01` })).toBeUndefined();
  });
});

describe('spans without an exporter', () => {
  test('continue the parent with a new span id, or start a trace unsampled', () => {
    const parent = { traceId: TRACE, spanId: SPAN, sampled: true };
    const child = startSpan('x', parent).context;
    expect(child).toEqual({ traceId: TRACE, spanId: expect.stringMatching(/^[0-9a-f]{16}$/), sampled: true });
    expect(child.spanId).not.toBe(SPAN);
    const root = startSpan('y', undefined).context;
    expect(root.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(root.traceId).not.toBe(TRACE);
    expect(root.sampled).toBe(false);
  });

  test('TRACE_EXPORTER is validated', () => {
    expect(traceExporter({})).toBe('none');
    expect(traceExporter({ TRACE_EXPORTER: 'cloud-trace' })).toBe('cloud-trace');
    expect(() => traceExporter({ TRACE_EXPORTER: 'jaeger' })).toThrow(/TRACE_EXPORTER must be one of none, cloud-trace, noop/);
    expect(() => traceExporter({ TRACE_EXPORTER: 'jaeger' })).toThrow(expect.objectContaining({ variable: 'TRACE_EXPORTER' }));
    expect(() => traceExporter({ TRACE_EXPORTER: 'jaeger' })).toThrow(ConfigError);
  });

  test('a bad TRACE_EXPORTER fails each kind of function at its setup, not its requests', () => {
    const saved = process.env.TRACE_EXPORTER;
    process.env.TRACE_EXPORTER = 'jaeger';
    try {
      const handler = async () => undefined;
      expect(() => requirePushAuth('normalizer', handler, { check: async () => undefined })).toThrow(ConfigError);
      expect(() => serveJsonApi([], createLogger({ component: 'test' }), 1024)).toThrow(ConfigError);
      expect(() => createWebhookFunction(telegramEdge)).toThrow(ConfigError);
    } finally {
      if (saved === undefined) delete process.env.TRACE_EXPORTER;
      else process.env.TRACE_EXPORTER = saved;
    }
  });
});

describe('spans recorded by OpenTelemetry (the noop exporter)', () => {
  test('a sampled parent gives a sampled child in the same trace; an unsampled one stays unsampled', () => {
    const recorder = createSpanRecorder('noop', { TRACE_SAMPLE_RATIO: '0' });
    const sampled = recorder.start('a', { traceId: TRACE, spanId: SPAN, sampled: true }, 'consumer');
    expect(sampled.context).toEqual({ traceId: TRACE, spanId: expect.stringMatching(/^[0-9a-f]{16}$/), sampled: true });
    expect(sampled.context.spanId).not.toBe(SPAN);
    sampled.end();
    expect(recorder.start('b', { traceId: TRACE, spanId: SPAN, sampled: false }, 'consumer').context.sampled).toBe(false);
    // Ratio 0: a trace started here is not sampled; ratio 1: it is.
    expect(recorder.start('c', undefined, 'server').context.sampled).toBe(false);
    expect(createSpanRecorder('noop', { TRACE_SAMPLE_RATIO: '1' }).start('d', undefined, 'server').context.sampled).toBe(true);
  });
});

test('cloud-trace exports OTLP (protobuf over HTTP) with the service and project; TRACE_OTLP_URL points it at a local fake', async () => {
  const received: Array<{ url: string; type: string | undefined; body: Buffer }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ url: req.url ?? '', type: req.headers['content-type'], body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    // In a Node process of its own: the exporter loads node:http with import(), which jest's module sandbox refuses.
    const script = `
      const { createSpanRecorder } = require(${JSON.stringify(path.resolve(__dirname, '../../shared/runtime/otel.ts'))});
      const recorder = createSpanRecorder('cloud-trace', process.env);
      const span = recorder.start('webhook-messenger', { traceId: '${TRACE}', spanId: '${SPAN}', sampled: true }, 'server');
      span.end();
      recorder.flush().then(() => process.stdout.write(span.context.spanId));
    `;
    const { stdout: spanId } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '-e', script], {
      env: {
        ...process.env,
        TRACE_OTLP_URL: `http://127.0.0.1:${port}/v1/traces`,
        GOOGLE_CLOUD_PROJECT: 'convotic-test',
        K_SERVICE: 'webhook-messenger',
      },
    });
    expect(spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ url: '/v1/traces', type: 'application/x-protobuf' });
    const body = received[0]!.body;
    // Protobuf carries the ids as raw bytes and the resource attributes as strings.
    expect(body.includes(Buffer.from(TRACE, 'hex'))).toBe(true);
    expect(body.includes(Buffer.from(spanId, 'hex'))).toBe(true);
    expect(body.includes(Buffer.from('gcp.project_id'))).toBe(true);
    expect(body.includes(Buffer.from('convotic-test'))).toBe(true);
    expect(body.includes(Buffer.from('webhook-messenger'))).toBe(true);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('carrying a delivery onto messages', () => {
  const delivery = { trace: { traceId: TRACE, spanId: SPAN, sampled: true }, receivedAt: '2026-01-02T03:04:05.678Z' };

  test('inside a delivery, attributes gain the traceparent and the receive time, also across awaits', async () => {
    const attrs = await withDelivery(delivery, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return carried({ type: 'x' });
    });
    expect(attrs).toEqual({
      type: 'x',
      [TRACEPARENT_ATTRIBUTE]: formatTraceparent(delivery.trace),
      [ORIGIN_RECEIVED_AT_ATTRIBUTE]: delivery.receivedAt,
    });
    expect(formatTraceparent(delivery.trace)).toBe(`00-${TRACE}-${SPAN}-01`);
  });

  test('outside one, attributes are unchanged', () => {
    expect(carried({ type: 'x' })).toEqual({ type: 'x' });
  });

  test('age: milliseconds since the receive time, never negative, none without a start', () => {
    expect(ageMs(delivery.receivedAt, new Date('2026-01-02T03:04:06.000Z'))).toBe(322);
    expect(ageMs(delivery.receivedAt, new Date('2026-01-02T03:04:05.000Z'))).toBe(0);
    expect(ageMs(undefined)).toBeUndefined();
    expect(ageMs('not a date')).toBeUndefined();
  });
});

test("a log line carries Cloud Logging's trace, spanId and trace_sampled", () => {
  const lines: string[] = [];
  const log = createLogger({ component: 't' }, { write: (l) => lines.push(l), projectId: 'p1', level: 'INFO', format: 'json' });
  log.child(traceLogFields({ traceId: TRACE, spanId: SPAN, sampled: false })).info('hello');
  const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
  expect(entry).toMatchObject({
    'logging.googleapis.com/trace': `projects/p1/traces/${TRACE}`,
    'logging.googleapis.com/spanId': SPAN,
    'logging.googleapis.com/trace_sampled': false,
  });
  expect(entry).not.toHaveProperty('trace_id');
  expect(entry).not.toHaveProperty('span_id');
});
