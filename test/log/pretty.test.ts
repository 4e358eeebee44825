/** The pretty format of the local stack (LOG_FORMAT=pretty): short lines, stable order, rounded numbers; JSON untouched. */
import { createLogger, PRETTY_BLOCK_MAX, PRETTY_LINE_MAX, prettyLine, roundForDisplay } from '../../shared/runtime/log';

function capture(format: 'json' | 'pretty') {
  const lines: string[] = [];
  const log = createLogger({ component: 'event-log' }, { format, level: 'DEBUG', write: (l) => lines.push(l), projectId: 'p1' });
  return { log, lines };
}

describe('pretty log lines', () => {
  it('rounds fractional numbers, in fields and inside objects', () => {
    expect(roundForDisplay(0.114611)).toBe(0.11);
    expect(roundForDisplay(12.345678)).toBe(12.3);
    expect(roundForDisplay(1234.5678)).toBe(1235);
    expect(roundForDisplay(42)).toBe(42);
    const { log, lines } = capture('pretty');
    log.info('webhook accepted', { latency_ms: 3.141592, timings: { parse_ms: 0.123456 } });
    expect(lines[0]).toBe('INFO    webhook accepted  component=event-log latency_ms=3.14 timings={"parse_ms":0.12}');
  });

  it('prints maps in the same order whatever order their keys were written in', () => {
    const a = prettyLine('INFO', 'entry', { consumers: { triggers: 'success', contacts: 'success' } });
    const b = prettyLine('INFO', 'entry', { consumers: { contacts: 'success', triggers: 'success' } });
    expect(a).toBe(b);
    expect(a).toBe('INFO    entry  consumers={"contacts":"success","triggers":"success"}');
  });

  it('moves long fields to indented lines below, cut at PRETTY_BLOCK_MAX, and keeps the first line short', () => {
    const envelope = { id: 'evt_1', data: { text: 'x'.repeat(2000) } };
    const fields: Record<string, unknown> = { request_id: 'r-1', envelope, detail: 'y'.repeat(100), status: 200 };
    for (let i = 0; i < 20; i++) fields[`field_${i}`] = `value-${i}`;
    const [first, ...below] = prettyLine('INFO', 'logged', fields).split('\n');
    expect(first!.length).toBeLessThanOrEqual(PRETTY_LINE_MAX);
    expect(first).toMatch(/^INFO {4}logged {2}request_id=r-1 status=200 field_0=value-0/);
    expect(below.every((l) => l.startsWith('    '))).toBe(true);
    const env = below.find((l) => l.startsWith('    envelope: '))!;
    expect(env.startsWith('    envelope: {"id":"evt_1","data":{"text":"xxx')).toBe(true);
    expect(env).toMatch(/… \(\d+ more characters\)$/);
    expect(env.length).toBeLessThan(PRETTY_BLOCK_MAX + 60);
    expect(below).toContain(`    detail: ${'y'.repeat(100)}`);
    // The short fields that do not fit wrap onto indented lines of their own, before the long ones.
    expect(below[0]).toMatch(/^ {4}field_\d+=value-\d+ field_\d+=value-\d+/);
    expect(below.findIndex((l) => l.includes('field_19=value-19'))).toBeLessThan(below.findIndex((l) => l.startsWith('    detail: ')));
  });

  it('keeps text with line breaks on one continuation line', () => {
    expect(prettyLine('WARNING', 'odd', { body: 'a\nb' })).toBe('WARNING odd\n    body: a\\nb');
  });

  it('leaves the JSON format as it was: full precision, key order as written', () => {
    const { log, lines } = capture('json');
    log.info('webhook accepted', { latency_ms: 3.141592, consumers: { triggers: 'success', contacts: 'success' } });
    expect(lines[0]).toBe(
      '{"severity":"INFO","message":"webhook accepted","component":"event-log","latency_ms":3.141592,"consumers":{"triggers":"success","contacts":"success"}}',
    );
  });
});
