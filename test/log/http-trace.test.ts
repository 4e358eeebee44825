/**
 * The private APIs' request trace: continued from the caller's header (or, for
 * a Pub/Sub push to the API, from the message), carried onto what the route
 * publishes, and one `request` line with httpRequest when the answer is sent.
 */
import { EventEmitter } from 'node:events';
import type { Request, Response } from '@google-cloud/functions-framework';
import { createLogger } from '../../shared/runtime/log';
import { traceRequest } from '../../shared/runtime/http-trace';
import { carried, ORIGIN_RECEIVED_AT_ATTRIBUTE, TRACEPARENT_ATTRIBUTE } from '../../shared/runtime/trace';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

/** The parts of a request and a response traceRequest reads: plain objects, answered by emitting `finish`. */
function exchange(req: { headers?: Record<string, string>; body?: unknown; url?: string }) {
  const res = Object.assign(new EventEmitter(), {
    statusCode: 200,
    getHeader: (name: string) => (name === 'content-length' ? '17' : undefined),
  });
  const request = {
    method: 'POST',
    url: req.url ?? '/x',
    originalUrl: req.url ?? '/x',
    headers: req.headers ?? {},
    body: req.body,
    socket: { remoteAddress: '10.0.0.9' },
  };
  return { req: request as unknown as Request, res: res as unknown as Response, finish: () => res.emit('finish') };
}

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger(
    {},
    { write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>), projectId: 'p1', level: 'INFO', format: 'json' },
  );
  return { lines, log };
}

test("continues the caller's trace, carries it onto what the route publishes, and logs one request line", async () => {
  const { lines, log } = capture();
  const { req, res, finish } = exchange({
    headers: { traceparent: `00-${TRACE}-00f067aa0ba902b7-01`, 'user-agent': 'ops' },
    url: '/workspaces/ws/replays?token=abc',
  });
  const traced = traceRequest(req, res, log, 'api');
  const attrs = await traced.run(async () => carried({}));
  expect(attrs[TRACEPARENT_ATTRIBUTE]).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
  expect(Date.parse(attrs[ORIGIN_RECEIVED_AT_ATTRIBUTE]!)).not.toBeNaN();
  expect(lines).toEqual([]);
  finish();
  expect(lines).toEqual([
    expect.objectContaining({
      message: 'request',
      status: 200,
      'logging.googleapis.com/trace': `projects/p1/traces/${TRACE}`,
      'logging.googleapis.com/trace_sampled': true,
      httpRequest: expect.objectContaining({
        requestMethod: 'POST',
        requestUrl: '/workspaces/ws/replays?token=REDACTED',
        status: 200,
        userAgent: 'ops',
        remoteIp: '10.0.0.9',
        responseSize: '17',
      }),
    }),
  ]);
});

test('a Pub/Sub push to the API (a replay job) continues the trace and receive time its message carries', async () => {
  const { log } = capture();
  const origin = '2026-01-02T03:04:05.678Z';
  const body = {
    subscription: 'projects/p/subscriptions/replay-jobs',
    message: {
      messageId: '1',
      data: '',
      attributes: { [TRACEPARENT_ATTRIBUTE]: `00-${TRACE}-00f067aa0ba902b7-00`, [ORIGIN_RECEIVED_AT_ATTRIBUTE]: origin },
    },
  };
  const { req, res } = exchange({ headers: { 'x-cloud-trace-context': `${'b'.repeat(32)}/1;o=1` }, body });
  const attrs = await traceRequest(req, res, log, 'api').run(async () => carried({}));
  expect(attrs[TRACEPARENT_ATTRIBUTE]).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-00$`));
  expect(attrs[ORIGIN_RECEIVED_AT_ATTRIBUTE]).toBe(origin);
});
