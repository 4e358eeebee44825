/**
 * normalize: one raw webhook body in, one envelope JSON per line out.
 *
 *   npm run --silent normalize -- --platform <p> [--workspace W --block B] [--kind webhook|handshake] [FILE|-]
 *
 * With --workspace/--block every event is routed to that Block (no emulator,
 * no Google client loaded: the conformance run starts this ~100 times).
 * Without them, events are routed by the Block registry in Firestore, which
 * needs FIRESTORE_EMULATOR_HOST (or Google credentials and --project).
 * Rejected items (unroutable, unsupported, invalid) are explained on stderr,
 * one line each; the exit code is 0 unless the body itself is unreadable.
 */
import { readFileSync } from 'node:fs';
import { normalize } from '../shared/normalize/normalize';
import { staticRouter, type Router } from '../shared/normalize/router';
import { isPlatform, PLATFORMS, type Platform } from '../shared/platforms';

const HELP = `usage: npm run --silent normalize -- --platform <${PLATFORMS.join('|')}> [options] [FILE|-]

Reads one raw webhook body (FILE, or stdin when FILE is - or absent) and prints
one Convotic event envelope JSON per line on stdout (nothing when the body holds
no events). Skipped items are explained on stderr as
  skipped <reason> <path>: <detail>
Exit 0 when the body was read and parsed (even with skipped items); 1 when the
body is unreadable or not a payload of the platform; 2 on a usage error.

options:
  --platform P      the platform that sent the body (required)
  --workspace W     route every event to workspace W ...
  --block B         ... and Block B (both together; no emulator needed)
  --kind K          webhook (default) or handshake (a webhook.verified record)
  --received-at T   the edge's receive time (ISO; default: now)
  --request-id R    request id for metadata (default: cli)
  -h, --help        this text

Without --workspace/--block, events are routed by the Block registry in
Firestore: set FIRESTORE_EMULATOR_HOST (and GOOGLE_CLOUD_PROJECT) to use the
local emulator.

example:
  npm run --silent normalize -- --platform whatsapp --workspace ws_1 --block blk_1 body.json
`;

class UsageError extends Error {}

interface Args {
  platform: Platform;
  workspace?: string;
  block?: string;
  kind: 'webhook' | 'handshake';
  receivedAt?: string;
  requestId: string;
  file: string;
}

function parseArgs(argv: string[]): Args | 'help' {
  const opts: Record<string, string> = {};
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '-h' || a === '--help') return 'help';
    if (a.startsWith('--')) {
      const [name, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
      if (!['platform', 'workspace', 'block', 'kind', 'received-at', 'request-id'].includes(name))
        throw new UsageError(`unknown option --${name}`);
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      opts[name] = value;
    } else {
      files.push(a);
    }
  }
  if (!opts.platform) throw new UsageError('--platform is required');
  if (!isPlatform(opts.platform)) throw new UsageError(`--platform must be one of ${PLATFORMS.join(', ')}`);
  if (!!opts.workspace !== !!opts.block) throw new UsageError('--workspace and --block go together');
  const kind = opts.kind ?? 'webhook';
  if (kind !== 'webhook' && kind !== 'handshake') throw new UsageError('--kind must be webhook or handshake');
  if (files.length > 1) throw new UsageError('one body at a time');
  return {
    platform: opts.platform,
    workspace: opts.workspace,
    block: opts.block,
    kind,
    receivedAt: opts['received-at'],
    requestId: opts['request-id'] ?? 'cli',
    file: files[0] ?? '-',
  };
}

async function registryRouterFromEnv(): Promise<Router> {
  if (!process.env.FIRESTORE_EMULATOR_HOST && !process.env.GOOGLE_APPLICATION_CREDENTIALS) {
    throw new UsageError(
      'no --workspace/--block given and no Block registry reachable: set FIRESTORE_EMULATOR_HOST (e.g. 127.0.0.1:8080) or pass --workspace W --block B',
    );
  }
  // Loaded only here: the Firestore client costs start-up time the static path does not pay.
  const { firestoreRouter } = await import('../shared/normalize/firestore-router');
  return firestoreRouter();
}

async function main(): Promise<number> {
  let args: Args | 'help';
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`normalize: ${(err as Error).message} (see --help)\n`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  let body: Buffer;
  try {
    body = readFileSync(args.file === '-' ? 0 : args.file);
  } catch (err) {
    process.stderr.write(
      `normalize: cannot read ${args.file === '-' ? 'stdin' : args.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`,
    );
    return 1;
  }
  let router: Router;
  try {
    router =
      args.workspace && args.block ? staticRouter({ workspaceId: args.workspace, blockId: args.block }) : await registryRouterFromEnv();
  } catch (err) {
    process.stderr.write(`normalize: ${(err as Error).message}\n`);
    return 2;
  }
  const result = await normalize(
    { platform: args.platform, kind: args.kind, body, receivedAt: args.receivedAt ?? new Date().toISOString(), requestId: args.requestId },
    router,
  );
  const fatal = result.rejections.find((r) => r.reason === 'unparseable');
  if (fatal) {
    process.stderr.write(`normalize: unreadable ${args.platform} body: ${fatal.detail}\n`);
    return 1;
  }
  process.stdout.write(result.envelopes.map((e) => JSON.stringify(e) + '\n').join(''));
  for (const r of result.rejections) process.stderr.write(`skipped ${r.reason} ${r.path || '(body)'}: ${r.detail}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`normalize: ${(err as Error)?.message ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
