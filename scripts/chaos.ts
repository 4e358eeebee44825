/**
 * `npm run chaos`: a fresh local stack on its own ports (its own emulators,
 * every function, the demo workspace and a second one), broken on purpose
 * scenario by scenario (scripts/lib/chaos/scenarios.ts). After each, and
 * after a reconciliation run, it prints one row: sent, answered 200, reached
 * the log, lost, duplicated, time. Exits 1 when any acknowledged webhook is
 * lost or any effect doubled (docs/chaos.md says what that proves).
 */
// Off GCP: keeps the Google clients from probing the metadata server (a timeout and a warning).
process.env.METADATA_SERVER_DETECTION ??= 'none';
import { createWriteStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HELP_OPTION, nonNegativeInt, parseCli, positiveInt, UsageError } from './lib/args';
import { DEMO_BLOCKS } from './lib/demo';
import { Ledger, mapRouter } from './lib/chaos/ledger';
import { SCENARIOS, type ChaosOptions, type Row } from './lib/chaos/scenarios';
import { DEMO_PAGE, OTHER_BLOCK, OTHER_PAGE, startChaosStack } from './lib/chaos/stack';
import { table } from './lib/table';

const DEFAULTS: ChaosOptions = {
  messages: 30,
  stallSeconds: 8,
  storm: 20,
  bigBatch: 5000,
  randomHostile: 20,
  settleSeconds: 90,
  seed: Date.now() % 1_000_000,
  reconcile: true,
};

const HELP = `Usage: npm run chaos [-- options]

Starts a fresh local stack on ports of its own (own Pub/Sub and Firestore emulators, every
function, the demo workspace), then runs each scenario: sends signed Messenger webhooks
while something breaks, waits for the log, runs reconciliation, waits again, and prints
one row per scenario. Exits 1 if any webhook answered 200 is lost or any effect doubled.

Scenarios: ${Object.keys(SCENARIOS).join(', ')}

Options:
  --only a,b        run only these scenarios
  --messages N      messages per fault scenario (default ${DEFAULTS.messages})
  --stall S         seconds each fault lasts (default ${DEFAULTS.stallSeconds})
  --storm N         identical deliveries in the redelivery storm (default ${DEFAULTS.storm})
  --big N           items in the big batch body (default ${DEFAULTS.bigBatch}; at most about 6,000 fit in 1 MiB)
  --random N        random signed JSON objects in the hostile set (default ${DEFAULTS.randomHostile})
  --settle S        seconds to wait for the log, before and after reconciliation (default ${DEFAULTS.settleSeconds})
  --seed N          fixes the random hostile payloads and the ids (default: from the clock)
  --no-reconcile    skip reconciliation: shows what the pipeline loses without it (and exits 1 when it does)
  -h, --help        this help

The functions' log lines go to <log dir>/functions.jsonl (the path is printed).`;

function report(rows: Row[]): string {
  const head = ['scenario', 'sent', 'answered 200', 'reached the log', 'lost', 'duplicated', 'reconciled', 'time'];
  const body = rows.map((r) => [r.scenario, r.sent, r.ok, r.reached, r.lost, r.duplicated, r.reconciled, `${r.seconds} s`].map(String));
  return table(head, body, { markdown: true, align: ['left', ...head.slice(1).map(() => 'right' as const)] });
}

async function main(): Promise<number> {
  const { values } = parseCli(
    process.argv.slice(2),
    {
      ...HELP_OPTION,
      only: { type: 'string' },
      messages: { type: 'string' },
      stall: { type: 'string' },
      storm: { type: 'string' },
      big: { type: 'string' },
      random: { type: 'string' },
      settle: { type: 'string' },
      seed: { type: 'string' },
      'no-reconcile': { type: 'boolean' },
    },
    { positionals: false },
  );
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const options: ChaosOptions = {
    messages: positiveInt('messages', values.messages) ?? DEFAULTS.messages,
    stallSeconds: positiveInt('stall', values.stall) ?? DEFAULTS.stallSeconds,
    storm: positiveInt('storm', values.storm) ?? DEFAULTS.storm,
    bigBatch: positiveInt('big', values.big) ?? DEFAULTS.bigBatch,
    randomHostile: nonNegativeInt('random', values.random) ?? DEFAULTS.randomHostile,
    settleSeconds: positiveInt('settle', values.settle) ?? DEFAULTS.settleSeconds,
    seed: nonNegativeInt('seed', values.seed) ?? DEFAULTS.seed,
    reconcile: !values['no-reconcile'],
  };
  const names = values.only ? values.only.split(',').map((s) => s.trim()) : Object.keys(SCENARIOS);
  const unknown = names.filter((n) => !(n in SCENARIOS));
  if (unknown.length || names.length === 0)
    throw new UsageError(`--only: no scenario ${unknown.join(', ')}; the scenarios are ${Object.keys(SCENARIOS).join(', ')}`);

  const logDir = mkdtempSync(path.join(tmpdir(), 'convotic-chaos-'));
  const functionsLog = createWriteStream(path.join(logDir, 'functions.jsonl'));
  const log = (line: string) => process.stderr.write(`[chaos] ${line}\n`);
  log(`starting a fresh stack (logs in ${logDir})`);
  const chaos = await startChaosStack(logDir, (fn, line) => functionsLog.write(`${JSON.stringify({ fn, line })}\n`));
  const stop = () => void chaos.stop().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  const rows: Row[] = [];
  try {
    if (chaos.stack.failed.length || chaos.stack.skipped.length)
      log(
        `WARNING: functions not running: ${[...chaos.stack.failed, ...chaos.stack.skipped].map((f) => `${f.name} (${f.reason})`).join('; ')}`,
      );
    const demo = DEMO_BLOCKS.messenger.block;
    const ledger = new Ledger(
      chaos.stack.firestore,
      mapRouter({
        [DEMO_PAGE]: { workspaceId: demo.workspace_id, blockId: demo.block_id },
        [OTHER_PAGE]: { workspaceId: OTHER_BLOCK.workspace_id, blockId: OTHER_BLOCK.block_id },
      }),
    );
    for (const name of names) {
      const row = await SCENARIOS[name]!({ chaos, ledger, options, log });
      rows.push(row);
      log(
        `${row.scenario}: ${row.reached}/${row.ok} reached the log, ${row.lost} lost, ${row.duplicated} duplicated${row.notes.length ? ` (${row.notes.join('; ')})` : ''}`,
      );
    }
  } finally {
    process.removeListener('SIGINT', stop);
    await chaos.stop();
    functionsLog.end();
  }
  console.log(report(rows));
  for (const r of rows) for (const n of r.notes) console.log(`- ${r.scenario}: ${n}`);
  const bad = rows.filter((r) => r.lost > 0 || r.duplicated > 0);
  console.log(bad.length ? `FAILED: ${bad.map((r) => r.scenario).join(', ')}` : 'Nothing acknowledged was lost or doubled.');
  return bad.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`npm run chaos: ${err.message}\n\n${HELP}`);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  },
);
