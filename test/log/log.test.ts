import { createLogger, traceIdFrom } from '../../shared/runtime/log';

function capture(format: 'json' | 'pretty', level = 'DEBUG') {
  const lines: string[] = [];
  const log = createLogger({ component: 'test' }, { format, level, write: (l) => lines.push(l), projectId: 'p1' });
  return { log, lines };
}

describe('structured logs', () => {
  it('writes one JSON object per line with Cloud Logging severity and message', () => {
    const { log, lines } = capture('json');
    log.warn('rejected', { request_id: 'r1', status: 401 });
    expect(JSON.parse(lines[0]!)).toEqual({ severity: 'WARNING', message: 'rejected', component: 'test', request_id: 'r1', status: 401 });
  });

  it('links the trace id the way Cloud Logging reads it', () => {
    const { log, lines } = capture('json');
    log.info('x', { trace_id: 'abc' });
    expect(JSON.parse(lines[0]!)['logging.googleapis.com/trace']).toBe('projects/p1/traces/abc');
  });

  it('leaves absent fields out of pretty lines', () => {
    const { log, lines } = capture('pretty');
    log.info('accepted', { reason: undefined, status: 200 });
    expect(lines[0]).toContain('status=200');
    expect(lines[0]).not.toContain('undefined');
  });

  it('filters below the configured level', () => {
    const { log, lines } = capture('json', 'WARN');
    log.info('quiet');
    log.error('loud', { error: new Error('boom') });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).error).toEqual({ name: 'Error', message: 'boom' });
  });
});

describe('traceIdFrom: the request id taken from trace headers', () => {
  it('takes the trace id of X-Cloud-Trace-Context, else of traceparent', () => {
    expect(traceIdFrom({ 'x-cloud-trace-context': '105445aa7843bc8bf206b12000100000/1;o=1' })).toBe('105445aa7843bc8bf206b12000100000');
    expect(traceIdFrom({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' })).toBe(
      '4bf92f3577b34da6a3ce929d0e0e4736',
    );
    expect(traceIdFrom({})).toBeUndefined();
  });

  // The id becomes a Pub/Sub attribute (1024 bytes at most) and part of document ids: a caller's header must not break either.
  it.each([
    ['an empty trace id', { traceparent: '00--01' }],
    ['an empty cloud trace id', { 'x-cloud-trace-context': '/1;o=1' }],
    ['a 2000-character header', { 'x-cloud-trace-context': `${'a'.repeat(2000)}/1` }],
    ['a path for a trace id', { traceparent: '00-../../x-01' }],
    ['spaces and quotes', { 'x-cloud-trace-context': 'a "b" c/1' }],
  ])('ignores %s (the caller then uses a UUID)', (_name, headers) => {
    expect(traceIdFrom(headers)).toBeUndefined();
  });
});
