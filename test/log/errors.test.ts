import { runInNewContext } from 'node:vm';
import { createLogger, MAX_CAUSES, REPORTED_ERROR_EVENT_TYPE } from '../../shared/runtime/log';

// Error Reporting reads a JavaScript stack as V8 prints `error.stack`: a `Name: message` header, then `    at` frames.
const V8_STACK = /^(\w*Error): [^\n]*\n( {4}at [^\n]+\n?)+/;

const saved = { K_SERVICE: process.env.K_SERVICE, K_REVISION: process.env.K_REVISION };
beforeEach(() => {
  process.env.K_SERVICE = 'normalizer';
  process.env.K_REVISION = 'normalizer-00007-abc';
});
afterAll(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

function capture(format: 'json' | 'pretty' = 'json') {
  const lines: string[] = [];
  const log = createLogger({ component: 'test' }, { format, level: 'DEBUG', write: (l) => lines.push(l) });
  const entries = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, lines, entries };
}

/** What the caller wrote, and what Error Reporting reads below it. */
function split(message: unknown): { first: string; stack: string } {
  const [first, ...rest] = String(message).split('\n');
  return { first: first!, stack: rest.join('\n') };
}

function chained(): Error {
  const root = new RangeError('socket hang up');
  const middle = Object.assign(new TypeError('publish rejected', { cause: root }), { code: 'E_PUBLISH' });
  return new Error('could not route the batch', { cause: middle });
}

describe('errors in the shape Error Reporting groups', () => {
  it("an ERROR entry keeps the caller's line and carries the stack and its causes below it", () => {
    const { log, lines, entries } = capture();
    log.error('publishing failed; Pub/Sub will retry', { outcome: 'retrying', error: chained() });

    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n'); // one JSON object per line
    const [entry] = entries();
    const { first, stack } = split(entry!.message);
    expect(first).toBe('publishing failed; Pub/Sub will retry');
    expect(stack).toMatch(V8_STACK);
    expect(stack.startsWith('Error: could not route the batch\n    at ')).toBe(true);
    expect(stack).toContain('\n[cause]: TypeError: publish rejected\n    at ');
    expect(stack).toContain('\n[cause]: RangeError: socket hang up\n    at ');
    expect(entry).toMatchObject({
      severity: 'ERROR',
      component: 'test',
      outcome: 'retrying',
      serviceContext: { service: 'normalizer', version: 'normalizer-00007-abc' },
      '@type': REPORTED_ERROR_EVENT_TYPE,
    });
    expect(entry!.error).toEqual({
      name: 'Error',
      message: 'could not route the batch',
      cause: {
        name: 'TypeError',
        message: 'publish rejected',
        code: 'E_PUBLISH',
        cause: { name: 'RangeError', message: 'socket hang up' },
      },
    });
  });

  it('sets no serviceContext or @type on an ERROR without an error, nor below ERROR', () => {
    const { log, entries } = capture();
    log.error('raw message names no known platform', { reason: 'no_platform' });
    log.info('accepted', { status: 200 });
    log.warn('listener restarted', { error: new Error('stream reset') });
    for (const entry of entries()) {
      expect(entry).not.toHaveProperty('serviceContext');
      expect(entry).not.toHaveProperty('@type');
    }
    const [error, info, warning] = entries();
    expect(error!.message).toBe('raw message names no known platform');
    expect(info!.message).toBe('accepted');
    // Below ERROR the stack stays with the error, and the message is the caller's alone.
    expect(warning!.message).toBe('listener restarted');
    expect(warning!.error).toMatchObject({ name: 'Error', message: 'stream reset', stack: expect.stringMatching(V8_STACK) });
  });

  it('takes the service from K_SERVICE and the version from K_REVISION only when set', () => {
    delete process.env.K_REVISION;
    const a = capture();
    a.log.error('x', { error: new Error('boom') });
    expect(a.entries()[0]!.serviceContext).toEqual({ service: 'normalizer' });

    delete process.env.K_SERVICE;
    const b = capture();
    b.log.error('x', { error: new Error('boom') });
    expect(b.entries()[0]!.serviceContext).toEqual({ service: 'test' }); // the component, off Cloud Run
  });

  it('stops at a cycle of causes', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    const self = new Error('self');
    self.cause = self;
    const { log, entries } = capture();
    log.error('cycle', { error: a });
    log.error('self', { error: self });

    const [cycle, own] = entries();
    const { stack } = split(cycle!.message);
    expect(stack).toMatch(/^Error: a\n {4}at /);
    expect(stack).toContain('\n[cause]: Error: b\n    at ');
    expect(stack.endsWith('\n[cause]: [Circular]')).toBe(true);
    expect(cycle!.error).toEqual({ name: 'Error', message: 'a', cause: { name: 'Error', message: 'b', cause: '[Circular]' } });
    expect(own!.error).toEqual({ name: 'Error', message: 'self', cause: '[Circular]' });
  });

  it(`follows at most ${MAX_CAUSES} causes`, () => {
    let err = new Error('cause 0');
    for (let i = 1; i <= 20; i++) err = new Error(`cause ${i}`, { cause: err });
    const { log, entries } = capture();
    log.error('deep', { error: err });
    const { stack } = split(entries()[0]!.message);
    expect(stack.match(/\[cause\]: Error: /g)).toHaveLength(MAX_CAUSES);
    expect(stack).toContain(`[cause]: Error: cause ${20 - MAX_CAUSES}`);
    expect(stack).not.toContain(`cause ${19 - MAX_CAUSES}\n`);
    expect(stack.endsWith('[cause]: ... (further causes omitted)')).toBe(true);
  });

  it.each([
    ['a string', 'the quota is exhausted', 'the quota is exhausted', 'the quota is exhausted'],
    [
      'an object with a message',
      { code: 'E_QUOTA', message: 'the quota is exhausted' },
      { code: 'E_QUOTA', message: 'the quota is exhausted' },
      'the quota is exhausted',
    ],
    ['an object without one', { status: 429, retry: [1, 2] }, { message: '{"status":429,"retry":[1,2]}' }, '{"status":429,"retry":[1,2]}'],
    ['a number', 42, '42', '42'],
    ['null', null, 'null', 'null'],
  ])('logs a thrown %s readably', (_name, thrown, error, text) => {
    const { log, lines, entries } = capture();
    log.error('event processing failed', { error: thrown });
    expect(lines[0]).not.toContain('[object Object]');
    const [entry] = entries();
    expect(entry!.error).toEqual(error);
    expect(entry!.message).toBe(`event processing failed\n${text}`);
    expect(entry!['@type']).toBe(REPORTED_ERROR_EVENT_TYPE);
  });

  it('logs a cyclic thrown object, and a cyclic field, without throwing', () => {
    const thrown: Record<string, unknown> = { reason: 'loop' };
    thrown.self = thrown;
    const field: Record<string, unknown> = { n: 1 };
    field.self = field;
    const { log, lines, entries } = capture();
    expect(() => log.error('odd throw', { error: thrown, detail: field })).not.toThrow();
    expect(lines[0]).not.toContain('[object Object]');
    expect(entries()[0]!.error).toEqual({ message: '{"reason":"loop","self":"[Circular]"}' });
  });

  it('keeps only name, message, code and causes of an error: not what a client library hangs on it', () => {
    const err = Object.assign(new Error('Request failed with status code 403'), {
      code: 403,
      config: { headers: { Authorization: 'Bearer ya29.s3cret' } },
      response: { data: 'x' },
    });
    const { log, lines, entries } = capture();
    log.error('publish failed', { error: err });
    log.warn('publish slow', { error: err });
    for (const line of lines) expect(line).not.toContain('s3cret');
    expect(entries()[0]!.error).toEqual({ name: 'Error', message: 'Request failed with status code 403', code: 403 });
  });

  it('knows an Error made in another realm (a vm context) for an Error', () => {
    const foreign = runInNewContext('new TypeError("from another realm", { cause: new Error("inner") })') as unknown;
    expect(foreign instanceof Error).toBe(false);
    const { log, entries } = capture();
    log.error('x', { error: foreign });
    const [entry] = entries();
    expect(split(entry!.message).stack).toMatch(/^TypeError: from another realm\n {4}at /);
    expect(entry!.error).toEqual({ name: 'TypeError', message: 'from another realm', cause: { name: 'Error', message: 'inner' } });
  });

  it('writes an Error found in another field as its name and message, not {}', () => {
    const { log, entries } = capture();
    log.info('retrying', { last_error: new Error('timeout') });
    expect(entries()[0]!.last_error).toEqual({ name: 'Error', message: 'timeout' });
  });

  it('prints the stack indented below the line in the pretty format', () => {
    const { log, lines } = capture('pretty');
    log.error('publishing failed', { outcome: 'retrying', error: chained() });
    const [first, ...below] = lines[0]!.split('\n');
    // The error summary is too long for the line: it goes on its own line below, then the stack.
    expect(first).toBe('ERROR   publishing failed  component=test outcome=retrying');
    expect(below[0]).toBe(
      '    error: {"name":"Error","message":"could not route the batch","cause":{"name":"TypeError","message":"publish rejected","code":"E_PUBLISH","cause":{"name":"RangeError","message":"socket hang up"}}}',
    );
    expect(below[1]).toBe('    Error: could not route the batch');
    expect(below[2]).toMatch(/^ {8}at /);
    expect(below).toContain('    [cause]: TypeError: publish rejected');
    expect(below.every((l) => l.startsWith('    '))).toBe(true);
    expect(lines[0]).not.toContain('@type');
    expect(lines[0]).not.toContain('serviceContext');
  });

  it("prints a warning's stack below the line too, and once", () => {
    const { log, lines } = capture('pretty');
    log.warn('listener restarted', { error: new Error('stream reset') });
    const [first, ...below] = lines[0]!.split('\n');
    expect(first).toBe('WARNING listener restarted  component=test error={"name":"Error","message":"stream reset"}');
    expect(below[0]).toBe('    Error: stream reset');
  });
});
