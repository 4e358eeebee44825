/**
 * `npm start`: the whole pipeline on this machine (see scripts/lib/stack.ts),
 * with every function's log lines interleaved under a `[name]` prefix, until
 * Ctrl-C, which stops every process it started and nothing else.
 */
// Off GCP: keeps the Google clients from probing the metadata server (a timeout and a warning).
process.env.METADATA_SERVER_DETECTION ??= 'none';
import path from 'node:path';
import { UsageError } from './lib/args';
import { DEMO_BLOCKS, DEMO_CREDENTIALS, DEMO_ENV_SECRETS, DEMO_META_APP_ID, DEMO_SECOND_TELEGRAM_BOT, DEMO_WORKSPACE_ID } from './lib/demo';
import { EmulatorSetupError } from './lib/emulators';
import { REPO_ROOT } from './lib/functions';
import { affectedFunctions, functionInputs, staleBundleWarning, watchSources } from './lib/sources';
import { fakesPortAfter, STACK_DEFAULTS, startStack, StackError, type Stack } from './lib/stack';
import { parseStartArgs, type StartCli } from './lib/start-cli';
import { functionLogFile, functionLogWriter } from './lib/trace-log';

const HELP = `Usage: npm start [-- options]

Runs the Pub/Sub and Firestore emulators, every function of topology.json under
the functions-framework, the topology's topics and push subscriptions, local
fakes of the Telegram, LINE and Meta Graph APIs for the blocks API, and a demo
workspace whose five Blocks are connected through the blocks API against those
fakes. Ctrl-C stops everything it started.

Options:
  --dist            run the esbuild bundles in dist/ (npm run build) instead of the TypeScript sources
                    (warns when dist/ is older than the sources)
  --only a,b        run only these functions (names as in topology.json)
  --no-seed         do not write the demo workspace (no Blocks, no Workflows)
  --persist         keep the Firestore data (event log, contacts, ...) between runs, in
                    ${path.relative(REPO_ROOT, STACK_DEFAULTS.dataDir)}/ (gitignored); Pub/Sub keeps nothing
  --watch           restart a function when one of its sources changes (not with --dist)
  -h, --help        this text

Environment:
  PUBSUB_PORT              Pub/Sub emulator port when one is started   (default ${STACK_DEFAULTS.pubsubPort})
  FIRESTORE_PORT           Firestore emulator port when one is started (default ${STACK_DEFAULTS.firestorePort})
  PUBSUB_EMULATOR_HOST     reuse the Pub/Sub emulator at host:port when it answers
  FIRESTORE_EMULATOR_HOST  reuse the Firestore emulator at host:port when it answers
  FUNCTIONS_PORT           first function port; the others follow in topology.json order (default ${STACK_DEFAULTS.functionsPort})
  FAKES_PORT               first of the three ports of the Telegram, LINE and Meta Graph API fakes
                           (default: the three after the functions', ${STACK_DEFAULTS.fakesPort}-${STACK_DEFAULTS.fakesPort + 2})
  TELEGRAM_API_BASE, LINE_API_BASE, META_GRAPH_API_BASE, META_APP_ID, WEBHOOK_URL_<PLATFORM>
                           when set, blocks-api uses these instead of the local fakes and webhook URLs
                           (a real platform through an HTTPS tunnel: docs/local-development.md)
  LOCAL_PROJECT_ID         project id on the emulators (default ${STACK_DEFAULTS.projectId})
  LOG_FORMAT               pretty (default here) or json, as in production
  LOG_LEVEL                debug, info (default), warning, error
  LOCAL_BIND_HOST          the address the functions listen on (default 127.0.0.1, this machine only)
`;

function fail(message: string): never {
  process.stderr.write(`npm start: ${message}\n`);
  process.exit(2);
}

function intEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0 || value > 65535) fail(`${name} must be a TCP port, got ${JSON.stringify(raw)}`);
  return value;
}

function parse(argv: string[], names: string[]): StartCli {
  try {
    const cli = parseStartArgs(argv, names);
    if (cli.help) {
      process.stdout.write(HELP);
      process.exit(0);
    }
    return cli;
  } catch (err) {
    if (err instanceof UsageError) fail(`${err.message}; see npm start -- --help`);
    throw err;
  }
}

const tty = process.stdout.isTTY === true && !process.env.NO_COLOR;
const COLORS = [36, 33, 35, 32, 34, 91, 96, 93, 95, 92];
const paint = (code: number, text: string) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);
const bold = (text: string) => (tty ? `\x1b[1m${text}\x1b[0m` : text);

function summary(stack: Stack): string {
  const lines: string[] = [''];
  const fns = Object.values(stack.functions);
  const webhooks = fns.filter((f) => f.name.startsWith('webhook-'));
  const width = Math.max(...fns.map((f) => f.name.length), 10);
  lines.push(bold('Convotic pipeline running locally') + `  (project ${stack.projectId})`);
  lines.push('');
  lines.push('Webhooks (POST a signed body; Meta also answers the GET hub.challenge handshake):');
  for (const f of webhooks) lines.push(`  ${f.name.padEnd(width)}  ${f.url}/`);
  const api = stack.functions['events-api'];
  const blocksApi = stack.functions['blocks-api'];
  lines.push('');
  lines.push(`Events API:   ${api ? `${api.url}/  (open it in a browser: the Event Log page; npm run events -- ls)` : '(not running)'}`);
  lines.push(
    `Blocks API:   ${blocksApi ? `${blocksApi.url}/  (npm run blocks -- list --workspace ${DEMO_WORKSPACE_ID})` : '(not running)'}`,
  );
  if (stack.fakes) {
    const env = stack.blocksApiEnv;
    const overridden = ['TELEGRAM_API_BASE', 'LINE_API_BASE', 'META_GRAPH_API_BASE', 'META_APP_ID'].filter((v) => process.env[v]);
    lines.push(`Platform API fakes (blocks-api's TELEGRAM_API_BASE, LINE_API_BASE, META_GRAPH_API_BASE; META_APP_ID=${DEMO_META_APP_ID}):`);
    lines.push(`  Telegram Bot API      ${env.TELEGRAM_API_BASE}/`);
    lines.push(`  LINE Messaging API    ${env.LINE_API_BASE}/`);
    lines.push(`  Meta Graph API        ${env.META_GRAPH_API_BASE}/`);
    if (overridden.length) lines.push(paint(33, `  (blocks-api uses ${overridden.join(', ')} from your environment instead)`));
  }
  const consumers = fns.filter((f) => f.trigger === 'pubsub');
  if (consumers.length) lines.push(`Push targets: ${consumers.map((f) => `${f.name} :${f.port}`).join(', ')}`);
  lines.push('');
  lines.push(
    `Emulators:    PUBSUB_EMULATOR_HOST=${stack.pubsubHost} FIRESTORE_EMULATOR_HOST=${stack.firestoreHost}` +
      (stack.started.pubsub || stack.started.firestore ? `  (output in ${stack.logDir}/)` : ''),
  );
  const seed = stack.seed;
  if (!seed) lines.push(`Workspace:    none (--no-seed)`);
  else {
    const ids = (list: readonly string[]) =>
      list.map((p) => `${p}=${DEMO_BLOCKS[p as keyof typeof DEMO_BLOCKS].block.account_id}`).join(' ');
    lines.push(`Workspace:    ${DEMO_WORKSPACE_ID}`);
    if (seed.connected.length) lines.push(`  Blocks connected through the blocks API against the local fakes: ${ids(seed.connected)}`);
    if (seed.written.length)
      lines.push(`  Blocks written directly (blocks-api or their webhook function is not running): ${ids(seed.written)}`);
    for (const f of seed.failed) lines.push(paint(31, `  NOT connected: ${f.platform}: ${f.reason}`));
  }
  lines.push('Demo secrets (local only, never use them anywhere else):');
  for (const [name, value] of Object.entries(DEMO_ENV_SECRETS)) lines.push(`  ${name}=${value}`);
  lines.push(
    `  LINE channel secret=${DEMO_CREDENTIALS.line.channel_secret}  Telegram secret token: made at connect, in the block secrets database (npm run send reads it)`,
  );
  if (stack.fakes)
    lines.push(
      `  A second bot the Telegram fake accepts: TELEGRAM_BOT_TOKEN=${DEMO_SECOND_TELEGRAM_BOT.bot_token} npm run blocks -- connect --platform telegram --workspace ${DEMO_WORKSPACE_ID}`,
    );
  for (const s of stack.skipped) lines.push(paint(33, `Skipped:      ${s.name}: ${s.reason}`));
  for (const f of stack.failed) lines.push(paint(31, `Failed:       ${f.name}: ${f.reason.split('\n')[0]}`));
  lines.push('');
  lines.push(`Try:          ${bold('npm run send -- messenger text')}   (list the samples: npm run send -- --list)`);
  if (stack.persist) {
    const dir = path.relative(REPO_ROOT, stack.persist.dir);
    lines.push(
      stack.persist.active
        ? `Data:         Firestore data kept in ${dir}/ (${stack.persist.restoredFrom ? 'restored from the last run' : 'first run: empty'}; saved on Ctrl-C). Pub/Sub keeps nothing.`
        : `Data:         --persist has no effect: the Firestore emulator was not started by npm start`,
    );
  }
  lines.push('Stop:         Ctrl-C');
  lines.push('');
  return lines.join('\n');
}

async function main(): Promise<void> {
  const names = Object.keys((await import('../shared/contracts/topology')).topology.functions);
  const cli = parse(process.argv.slice(2), names);
  let stack: Stack | undefined;
  let stopping = false;
  let firstSignalAt = 0;
  let stopWatching: (() => void) | undefined;

  // Installed before anything starts: the emulators run in their own process
  // groups, so a Ctrl-C that killed us before stop() would orphan them.
  const shutdown = async (signal: string) => {
    if (stopping) {
      // npm and tsx relay the terminal's Ctrl-C too, so one keypress can arrive twice.
      if (Date.now() - firstSignalAt > 1000) process.stderr.write('Still stopping...\n');
      return;
    }
    stopping = true;
    firstSignalAt = Date.now();
    process.stderr.write(`\n${signal}: stopping the local stack...\n`);
    if (!stack) return; // startup is in progress; it stops once it returns (below)
    stopWatching?.();
    await stack.stop();
    process.stderr.write('Stopped.\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGHUP', () => void shutdown('SIGHUP'));

  const width = Math.max(...names.map((n) => n.length));
  const color = new Map(names.map((n, i) => [n, COLORS[i % COLORS.length]!]));

  if (cli.mode === 'dist') {
    const warning = staleBundleWarning(cli.only ?? names);
    if (warning) process.stderr.write(paint(33, warning) + '\n');
  }
  process.stderr.write('Starting the emulators and functions...\n');
  // Every function line, also as JSON lines: what `npm run send -- --trace` reads.
  const functionLog = functionLogWriter(functionLogFile(STACK_DEFAULTS.logDir));
  try {
    stack = await startStack({
      projectId: process.env.LOCAL_PROJECT_ID || undefined,
      pubsubHost: process.env.PUBSUB_EMULATOR_HOST || undefined,
      firestoreHost: process.env.FIRESTORE_EMULATOR_HOST || undefined,
      pubsubPort: intEnv('PUBSUB_PORT'),
      firestorePort: intEnv('FIRESTORE_PORT'),
      functionsPort: intEnv('FUNCTIONS_PORT'),
      fakesPort: intEnv('FAKES_PORT') ?? fakesPortAfter(intEnv('FUNCTIONS_PORT')),
      mode: cli.mode,
      seed: cli.seed,
      only: cli.only,
      dataDir: cli.persist ? STACK_DEFAULTS.dataDir : undefined,
      onLine: (name, line) => {
        process.stdout.write(`${paint(color.get(name) ?? 37, `[${name}]`.padEnd(width + 2))} ${line}\n`);
        functionLog.write(name, line);
      },
      onNotice: (message) => process.stderr.write(message + '\n'),
    });
  } catch (err) {
    if (err instanceof EmulatorSetupError || err instanceof StackError) {
      process.stderr.write(`\nnpm start: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  if (stopping) {
    await stack.stop();
    process.stderr.write('Stopped.\n');
    process.exit(0);
  }
  process.stdout.write(summary(stack) + '\n');
  if (cli.watch) stopWatching = await startWatching(stack);
}

/** --watch: restarts the functions built from a changed file, one change burst at a time. */
async function startWatching(stack: Stack): Promise<() => void> {
  const running = Object.keys(stack.functions).concat(stack.failed.map((f) => f.name));
  let inputs = await functionInputs(running);
  let busy: Promise<void> = Promise.resolve();
  const stop = watchSources({
    debounceMs: 300,
    onChange: (files) => {
      busy = busy.then(async () => {
        const targets = affectedFunctions(files, inputs, running);
        const shown = files.map((f) => path.relative(REPO_ROOT, f)).join(', ');
        if (!targets.length) return;
        process.stderr.write(`Changed ${shown}: restarting ${targets.join(', ')}...\n`);
        const results = await Promise.allSettled(targets.map((name) => stack.restart(name)));
        results.forEach((r, i) => {
          if (r.status === 'rejected')
            process.stderr.write(
              paint(31, `ERROR: ${targets[i]} did not restart: ${(r.reason as Error).message}`) + '\n(it restarts on the next change)\n',
            );
        });
        const restarted = targets.filter((_, i) => results[i]!.status === 'fulfilled');
        if (restarted.length) process.stderr.write(`Restarted ${restarted.join(', ')}.\n`);
        // An edit can add or drop imports.
        inputs = await functionInputs(running, REPO_ROOT, inputs);
      });
    },
  });
  process.stderr.write('Watching functions/ and shared/: a change restarts the functions built from it.\n');
  return stop;
}

main().catch((err) => {
  process.stderr.write(`npm start failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
