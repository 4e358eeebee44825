import { createLogger } from '../../shared/log';

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
