/**
 * `npm start`: the whole pipeline on this machine (see scripts/lib/stack.ts),
 * with every function's log lines interleaved under a `[name]` prefix, until
 * Ctrl-C, which stops every process it started and nothing else.
 */
// Off GCP: keeps the Google clients from probing the metadata server (a timeout and a warning).
process.env.METADATA_SERVER_DETECTION ??= 'none';
import { DEMO_BLOCKS, DEMO_ENV_SECRETS, DEMO_WORKSPACE_ID } from './lib/demo';
import { EmulatorSetupError } from './lib/emulators';
import type { LoadMode } from './lib/functions';
import { STACK_DEFAULTS, startStack, StackError, type Stack } from './lib/stack';

const HELP = `Usage: npm start [-- options]

Runs the Pub/Sub and Firestore emulators, every function of topology.json under
the functions-framework, the topology's topics and push subscriptions, and a
demo workspace. Ctrl-C stops everything it started.

Options:
  --dist            run the esbuild bundles in dist/ (npm run build) instead of the TypeScript sources
  --only a,b        run only these functions
  --no-seed         do not write the demo workspace
  -h, --help        this text

Environment:
  PUBSUB_PORT              Pub/Sub emulator port when one is started   (default ${STACK_DEFAULTS.pubsubPort})
  FIRESTORE_PORT           Firestore emulator port when one is started (default ${STACK_DEFAULTS.firestorePort})
  PUBSUB_EMULATOR_HOST     reuse the Pub/Sub emulator at host:port when it answers
  FIRESTORE_EMULATOR_HOST  reuse the Firestore emulator at host:port when it answers
  FUNCTIONS_PORT           first function port; the others follow in topology.json order (default ${STACK_DEFAULTS.functionsPort})
  LOCAL_PROJECT_ID         project id on the emulators (default ${STACK_DEFAULTS.projectId})
  LOG_FORMAT               pretty (default here) or json, as in production
  LOG_LEVEL                debug, info (default), warning, error
`;

interface Cli {
  mode: LoadMode;
  only?: string[];
  seed: boolean;
}

function parseArgs(argv: string[]): Cli {
  const cli: Cli = { mode: 'source', seed: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') {
      process.stdout.write(HELP);
      process.exit(0);
    } else if (arg === '--dist') cli.mode = 'dist';
    else if (arg === '--no-seed') cli.seed = false;
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg.includes('=') ? arg.slice(7) : argv[++i];
      if (!value) fail('--only needs a comma-separated list of function names');
      cli.only = value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    } else fail(`unknown option ${arg}\n\n${HELP}`);
  }
  return cli;
}

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
  lines.push('');
  lines.push(`Events API:   ${api ? `${api.url}/` : '(not running)'}`);
  const consumers = fns.filter((f) => f.trigger === 'pubsub');
  if (consumers.length) lines.push(`Push targets: ${consumers.map((f) => `${f.name} :${f.port}`).join(', ')}`);
  lines.push('');
  lines.push(
    `Emulators:    PUBSUB_EMULATOR_HOST=${stack.pubsubHost} FIRESTORE_EMULATOR_HOST=${stack.firestoreHost}` +
      (stack.started.pubsub || stack.started.firestore ? `  (output in ${stack.logDir}/)` : ''),
  );
  lines.push(
    `Workspace:    ${DEMO_WORKSPACE_ID}  Blocks: ${Object.values(DEMO_BLOCKS)
      .map((b) => `${b.block.platform}=${b.block.account_id}`)
      .join(' ')}`,
  );
  lines.push('Demo secrets (local only, never use them anywhere else):');
  for (const [name, value] of Object.entries(DEMO_ENV_SECRETS)) lines.push(`  ${name}=${value}`);
  lines.push(
    `  LINE channel secret=${DEMO_BLOCKS.line.secrets.line_channel_secrets?.[0]}  Telegram secret token=${DEMO_BLOCKS.telegram.secrets.telegram_secret_tokens?.[0]}`,
  );
  for (const s of stack.skipped) lines.push(paint(33, `Skipped:      ${s.name}: ${s.reason}`));
  for (const f of stack.failed) lines.push(paint(31, `Failed:       ${f.name}: ${f.reason.split('\n')[0]}`));
  lines.push('');
  lines.push(`Try:          ${bold('npm run send -- messenger text')}   (list the samples: npm run send -- --list)`);
  lines.push('Stop:         Ctrl-C');
  lines.push('');
  return lines.join('\n');
}

async function main(): Promise<void> {
  const cli = parseArgs(process.argv.slice(2));
  let stack: Stack | undefined;
  let stopping = false;
  let firstSignalAt = 0;

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
    await stack.stop();
    process.stderr.write('Stopped.\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGHUP', () => void shutdown('SIGHUP'));

  const names = Object.keys((await import('../shared/contracts/topology')).topology.functions);
  const width = Math.max(...names.map((n) => n.length));
  const color = new Map(names.map((n, i) => [n, COLORS[i % COLORS.length]!]));

  process.stderr.write('Starting the emulators and functions...\n');
  try {
    stack = await startStack({
      projectId: process.env.LOCAL_PROJECT_ID || undefined,
      pubsubHost: process.env.PUBSUB_EMULATOR_HOST || undefined,
      firestoreHost: process.env.FIRESTORE_EMULATOR_HOST || undefined,
      pubsubPort: intEnv('PUBSUB_PORT'),
      firestorePort: intEnv('FIRESTORE_PORT'),
      functionsPort: intEnv('FUNCTIONS_PORT'),
      mode: cli.mode,
      seed: cli.seed,
      only: cli.only,
      onLine: (name, line) => process.stdout.write(`${paint(color.get(name) ?? 37, `[${name}]`.padEnd(width + 2))} ${line}\n`),
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
}

main().catch((err) => {
  process.stderr.write(`npm start failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
