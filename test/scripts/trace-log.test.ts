/**
 * `npm run send -- --trace`: the lines of one trace picked out of the
 * function log npm start writes, in either log format, and how they print.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatSteps, functionLogWriter, readFunctionLog, traceSteps } from '../../scripts/lib/trace-log';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const OTHER = 'a'.repeat(32);

test('the lines of one trace, JSON and pretty alike, in order, with what each says', async () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'trace-log-')), 'functions.jsonl');
  const writer = functionLogWriter(file);
  writer.write(
    'webhook-messenger',
    JSON.stringify({
      severity: 'INFO',
      message: 'webhook accepted',
      outcome: 'accepted',
      'logging.googleapis.com/trace': `projects/p/traces/${TRACE}`,
    }),
  );
  writer.write('normalizer', `INFO    raw message normalized  outcome=success trace=${TRACE} envelopes=1`);
  // A wrapped pretty entry: the trace is on its continuation line, the step is its first line.
  writer.write('contacts', 'INFO    event processed  component=contacts event_id=evt_1 outcome=success');
  writer.write('contacts', `    age_ms=12 trace=${TRACE}`);
  writer.write(
    'contacts',
    JSON.stringify({ severity: 'INFO', message: 'event processed', 'logging.googleapis.com/trace': `projects/p/traces/${OTHER}` }),
  );
  writer.write(
    'triggers',
    JSON.stringify({
      severity: 'INFO',
      message: 'event processed',
      age_ms: 41.7,
      'logging.googleapis.com/trace': `projects/p/traces/${TRACE}`,
    }),
  );
  await writer.close();

  const steps = traceSteps(readFunctionLog(file), TRACE);
  expect(steps.map((s) => [s.fn, s.text])).toEqual([
    ['webhook-messenger', 'INFO webhook accepted outcome=accepted'],
    ['normalizer', 'INFO raw message normalized outcome=success envelopes=1'],
    ['contacts', 'INFO event processed event_id=evt_1 outcome=success'],
    ['triggers', 'INFO event processed age_ms=42'],
  ]);
  const printed = formatSteps(steps).split('\n');
  expect(printed).toHaveLength(4);
  expect(printed[0]).toMatch(/^ {2}\+ +0 ms {2}webhook-messenger {2}INFO webhook accepted/);
  expect(printed[3]).toMatch(/ms {2}triggers {11}INFO event processed age_ms=42$/);
});

test('a missing file or a torn line is no step', () => {
  expect(readFunctionLog('/nonexistent/functions.jsonl')).toEqual([]);
  expect(formatSteps([])).toBe('');
});
