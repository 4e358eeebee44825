/**
 * normalize: one raw webhook body in, one envelope JSON per line out.
 *
 *   npm run --silent normalize -- --platform <p> [--workspace W --block B] [--kind webhook|handshake] [FILE|-]
 *   npm run --silent normalize -- --sample messenger/text
 *
 * With --workspace/--block every event is routed to that Block (no emulator,
 * no Google client loaded: the conformance run starts this ~100 times); a
 * --sample goes to the demo Block of its platform unless they are given.
 * Otherwise events are routed by the Block registry in Firestore, which needs
 * FIRESTORE_EMULATOR_HOST and GOOGLE_CLOUD_PROJECT (the local stack's values).
 * Rejected items (unroutable, unsupported, invalid) are explained on stderr,
 * one line each; the exit code is 0 unless the body itself is unreadable.
 */
import { readFileSync } from 'node:fs';
import { normalize } from '../shared/normalize/normalize';
import { staticRouter, type Router } from '../shared/normalize/router';
import { PLATFORMS } from '../shared/platforms';
import { UsageError } from './lib/args';
import { DEMO_BLOCKS } from './lib/demo';
import { parseNormalizeArgs, registryProblem, sampleFileHint, type NormalizeArgs } from './lib/normalize-cli';
import { fillSample, loadSample } from './lib/samples';

// Literal, not from scripts/lib/stack.ts: that module loads the Google clients, which the static path must not pay for.
const LOCAL_FIRESTORE_PORT = 8086;
const LOCAL_PROJECT = 'convotic-local';

const HELP = `usage: npm run --silent normalize -- --platform <${PLATFORMS.join('|')}> [options] [FILE|-]
       npm run --silent normalize -- --sample <platform>/<name> [options]

Reads one raw webhook body (FILE, or stdin when FILE is - or absent) and prints
one Convotic event envelope JSON per line on stdout (nothing when the body holds
no events). Skipped items are explained on stderr as
  skipped <reason> <path>: <detail>
Exit 0 when the body was read and parsed (even with skipped items); 1 when the
body is unreadable or not a payload of the platform; 2 on a usage error.

options (--name value and --name=value alike):
  --platform P      the platform that sent the body (required with FILE)
  --sample P/NAME   a shipped sample (scripts/samples/P/NAME.json, see npm run send -- --list),
                    placeholders filled; routed to the demo Block of P unless --workspace/--block
  --id X            with --sample: fix its random ids (as npm run send -- --id)
  --workspace W     route every event to workspace W ...
  --block B         ... and Block B (both together; no emulator needed)
  --kind K          webhook (default) or handshake (a webhook.verified record)
  --received-at T   the edge's receive time (ISO; default: now)
  --request-id R    request id for metadata (default: cli)
  -h, --help        this text

Without --workspace/--block (and without --sample), events are routed by the
Block registry in Firestore, which needs both
  FIRESTORE_EMULATOR_HOST=127.0.0.1:${LOCAL_FIRESTORE_PORT} GOOGLE_CLOUD_PROJECT=${LOCAL_PROJECT}
(the local stack's defaults; npm start prints its values).

examples:
  npm run --silent normalize -- --sample messenger/text
  npm run --silent normalize -- --platform whatsapp --workspace ws_1 --block blk_1 body.json
`;

async function registryRouterFromEnv(): Promise<Router> {
  const problem = registryProblem(process.env, LOCAL_FIRESTORE_PORT, LOCAL_PROJECT);
  if (problem) throw new UsageError(problem);
  // Loaded only here: the Firestore client costs start-up time the static path does not pay.
  const { firestoreRouter } = await import('../shared/normalize/firestore-router');
  return firestoreRouter();
}

function readBody(args: NormalizeArgs): Buffer {
  if (args.sample) {
    const sample = loadSample(args.sample.platform, args.sample.name);
    return Buffer.from(JSON.stringify(fillSample(sample.body, { id: args.id })), 'utf8');
  }
  return readFileSync(args.file === '-' || args.file === undefined ? 0 : args.file);
}

function routerFor(args: NormalizeArgs): Router | Promise<Router> {
  if (args.workspace && args.block) return staticRouter({ workspaceId: args.workspace, blockId: args.block });
  if (args.sample) {
    const demo = DEMO_BLOCKS[args.sample.platform].block;
    return staticRouter({ workspaceId: demo.workspace_id, blockId: demo.block_id });
  }
  return registryRouterFromEnv();
}

async function main(): Promise<number> {
  let parsed: NormalizeArgs | { help: true };
  try {
    parsed = parseNormalizeArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`normalize: ${err.message} (see --help)\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const args = parsed as NormalizeArgs;
  let body: Buffer;
  try {
    body = readBody(args);
  } catch (err) {
    const what = args.sample ? `sample ${args.sample.platform}/${args.sample.name}` : args.file === '-' ? 'stdin' : args.file;
    const code = (err as NodeJS.ErrnoException).code;
    process.stderr.write(`normalize: cannot read ${what}: ${code ?? (err as Error).message}\n`);
    return args.sample && !code ? 2 : 1;
  }
  const wrapped = args.sample ? undefined : sampleFileHint(body, args.file);
  if (wrapped) {
    process.stderr.write(`normalize: ${wrapped}\n`);
    return 2;
  }
  let router: Router;
  try {
    router = await routerFor(args);
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
