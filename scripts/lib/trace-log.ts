/**
 * The local stack's function output as JSON lines, for `npm run send -- --trace`:
 * `npm start` appends `{"at", "fn", "line"}` per output line of every function
 * to FUNCTION_LOG_FILE (new each run), and `traceSteps` picks the lines of one
 * trace back out of it: the same trace id every function logs (as
 * `logging.googleapis.com/trace` in JSON, `trace=` in the pretty format).
 */
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Where `npm start` keeps its function output (next to the emulators' logs). */
export function functionLogFile(logDir: string): string {
  return path.join(logDir, 'functions.jsonl');
}

export interface LoggedLine {
  /** When the runner read the line (ISO 8601). */
  at: string;
  fn: string;
  line: string;
}

/** A line writer that starts `file` afresh; `close` flushes it. */
export function functionLogWriter(file: string): { write(fn: string, line: string): void; close(): Promise<void> } {
  mkdirSync(path.dirname(file), { recursive: true });
  const out = createWriteStream(file, { flags: 'w' });
  return {
    write: (fn, line) => out.write(JSON.stringify({ at: new Date().toISOString(), fn, line } satisfies LoggedLine) + '\n'),
    close: () => new Promise((resolve) => out.end(resolve)),
  };
}

export interface TraceStep {
  at: string;
  fn: string;
  /** The line's severity and message (and outcome, status or reason when it has them). */
  text: string;
}

/** What a step says: from a JSON entry its severity, message and outcome; a pretty line as printed. */
function describeLine(line: string): string {
  if (line.startsWith('{')) {
    try {
      const e = JSON.parse(line) as Record<string, unknown>;
      const extra = ['outcome', 'reason', 'status', 'type', 'event_id', 'age_ms']
        .filter((k) => e[k] !== undefined && e[k] !== null)
        .map((k) => `${k}=${typeof e[k] === 'number' ? Math.round(e[k]) : String(e[k])}`);
      return [String(e.severity ?? ''), String(e.message ?? '').split('\n')[0], ...extra].join(' ').trim();
    } catch {
      // Not JSON after all: shown as it is.
    }
  }
  // The fields that say nothing about this step's part in the trace are left out; the rest reads as printed.
  return line
    .replace(/\s+(trace|component|request_id|workspace_id|attempt|message_id|method|bytes)=\S+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The logged lines of one trace, in the order they were written. A pretty
 * entry that wraps has its `trace=` on an indented continuation line: the
 * step is then the entry's first line (the last unindented one of that function).
 */
export function traceSteps(lines: readonly LoggedLine[], traceId: string): TraceStep[] {
  const json = `/traces/${traceId}"`;
  const pretty = `trace=${traceId}`;
  const head = new Map<string, LoggedLine>();
  const steps: LoggedLine[] = [];
  for (const l of lines) {
    const continuation = /^\s/.test(l.line);
    if (!continuation) head.set(l.fn, l);
    if (!l.line.includes(json) && !l.line.includes(pretty)) continue;
    const entry = continuation ? head.get(l.fn) : l;
    if (entry && steps[steps.length - 1] !== entry) steps.push(entry);
  }
  return steps.map((l) => ({ at: l.at, fn: l.fn, text: describeLine(l.line) })).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

/** Reads a function log file (a missing file is no lines; a torn last line is skipped). */
export function readFunctionLog(file: string): LoggedLine[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').flatMap((row) => {
    if (!row) return [];
    try {
      return [JSON.parse(row) as LoggedLine];
    } catch {
      return [];
    }
  });
}

/** `+   12 ms  webhook-messenger  INFO webhook accepted`, times from the first step. */
export function formatSteps(steps: readonly TraceStep[]): string {
  if (!steps.length) return '';
  const start = Date.parse(steps[0]!.at);
  const width = Math.max(...steps.map((s) => s.fn.length));
  return steps.map((s) => `  +${String(Date.parse(s.at) - start).padStart(6)} ms  ${s.fn.padEnd(width)}  ${s.text}`).join('\n');
}
