/**
 * `npm run send -- <platform> <sample>`: signs a sample webhook with the demo
 * secrets, POSTs it to the local stack (`npm start`), and shows what became of
 * it: the HTTP answer, the event log entries of the request with their status,
 * the contact, and any Workflow executions started.
 */
// Off GCP: keeps the Google clients from probing the metadata server (a timeout and a warning).
process.env.METADATA_SERVER_DETECTION ??= 'none';
import { readFileSync } from 'node:fs';
import { Firestore } from '@google-cloud/firestore';
import { blockSecretsDatabase } from '../shared/contracts/blocks';
import { PLATFORMS, type Platform } from '../shared/platforms';
import { UsageError } from './lib/args';
import { DEMO_BLOCKS, DEMO_WORKSPACE_ID } from './lib/demo';
import { demoBlockSecret } from './lib/demo-seed';
import { rawReceived, readEntries, readRequest, redeliveryVerdict, waitForRequest } from './lib/observe';
import { listSamples, loadSample, sampleRequest, signedHeaders } from './lib/samples';
import { describeObservation, describeRedelivery, followsLocally, nothingLoggedHint, parseSendArgs, type SendCli } from './lib/send-cli';
import { functionPort, STACK_DEFAULTS } from './lib/stack';
import { formatTraceparent, newSpanId, newTraceId } from '../shared/runtime/trace';
import { formatSteps, functionLogFile, readFunctionLog, traceSteps } from './lib/trace-log';

const HELP = `Usage:
  npm run send -- <platform> <sample>      sign and POST scripts/samples/<platform>/<sample>.json
  npm run send -- <platform> all           every sample of the platform, one after the other
  npm run send -- <platform> --file F      POST the bytes of F as they are (a payload captured from the platform), signed with the demo secret
  npm run send -- --list                   list the samples

Options (--name value and --name=value alike):
  --id X            fix the sample's random ids: sending twice with the same --id is a redelivery (deduplicated)
  --bad-signature   sign with a wrong secret (the webhook must answer 401 and publish nothing)
  --no-wait         only POST, do not follow the request through the pipeline
  --trace           then print each step of the request's trace (every function's log lines with its trace id,
                    from the function log npm start writes, .emulators/functions.jsonl) with its time
  --timeout MS      how long to follow it (default 20000)
  --url URL         POST here instead of the local webhook-<platform>
  --secret S        sign with S instead of the demo secret (Meta: the demo app secret; LINE and Telegram: the
                    demo Block's channel secret or secret token, read from the block secrets database of the
                    local stack, since npm start connects the Blocks through the blocks API): the Meta app secret, the LINE channel secret or the
                    Telegram secret token of the deployment --url points at (a request to a remote --url is not
                    followed: its event log is not the local emulator)

The stack is found like npm start finds it: FUNCTIONS_PORT (default ${STACK_DEFAULTS.functionsPort}),
FIRESTORE_EMULATOR_HOST (default 127.0.0.1:${STACK_DEFAULTS.firestorePort}), LOCAL_PROJECT_ID (default ${STACK_DEFAULTS.projectId}).
Platforms: ${PLATFORMS.join(', ')}.
`;

function fail(message: string): never {
  process.stderr.write(`npm run send: ${message}\n`);
  process.exit(2);
}

function parse(argv: string[]): SendCli {
  try {
    return parseSendArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) fail(`${err.message}; see npm run send -- --help`);
    throw err;
  }
}

function printList(): void {
  let platform = '';
  for (const s of listSamples()) {
    if (s.platform !== platform) {
      platform = s.platform;
      process.stdout.write(`\n${platform}\n`);
    }
    process.stdout.write(`  ${s.name.padEnd(24)} ${s.description}  → ${s.expect.join(', ')}\n`);
  }
  process.stdout.write(`\nSend one: npm run send -- messenger text\n`);
}

function firstPort(): number {
  const raw = process.env.FUNCTIONS_PORT;
  return raw ? Number(raw) : STACK_DEFAULTS.functionsPort;
}

/**
 * The ids of the log entries the body becomes, computed by the normalizer
 * here, routed as the demo workspace routes (event and rejection ids are
 * deterministic): how a redelivery, whose entries keep the first request's id,
 * is recognised. Empty when the body cannot be normalized here.
 */
async function expectedEntryIds(platform: Platform, body: Buffer): Promise<string[]> {
  try {
    const { normalize } = await import('../shared/normalize/normalize');
    const demo = DEMO_BLOCKS[platform].block;
    const route = { workspaceId: demo.workspace_id, blockId: demo.block_id };
    const result = await normalize(
      {
        platform,
        kind: 'webhook',
        body,
        receivedAt: new Date().toISOString(),
        requestId: 'send',
        // Telegram is routed by its secret token at the edge, which names the Block.
        ...(platform === 'telegram' ? { blockId: demo.block_id, workspaceId: demo.workspace_id } : {}),
      },
      {
        byAccounts: (_p, accounts) => (accounts.includes(demo.account_id) ? route : undefined),
        byBlockId: (id) => (id === demo.block_id ? route : undefined),
      },
    );
    return [...result.envelopes.map((e) => e.id), ...result.rejections.map((r) => r.id)];
  } catch {
    return [];
  }
}

/** How long after its body reached the log a request with no entries of its own counts as deduplicated. */
const REDELIVERY_GRACE_MS = 2_500;

async function follow(cli: SendCli, db: Firestore, requestId: string, body: Buffer, expect: string[]): Promise<boolean> {
  const platform = cli.platform!;
  process.stdout.write(`Following request ${requestId} in the event log of ${DEMO_WORKSPACE_ID}...\n`);
  const expectedIds = await expectedEntryIds(platform, body);
  const deadline = Date.now() + cli.timeoutMs;
  let rawSeenAt: number | undefined;
  // Until the request's own entries appear: a redelivery never gets any.
  for (;;) {
    const own = await readRequest(db, DEMO_WORKSPACE_ID, requestId);
    if (own.entries.length) break;
    if (rawSeenAt === undefined && (await rawReceived(db, platform, requestId))) rawSeenAt = Date.now();
    const over = Date.now() >= deadline;
    const settled = over || (rawSeenAt !== undefined && Date.now() - rawSeenAt >= REDELIVERY_GRACE_MS);
    if (settled && expectedIds.length) {
      const found = await readEntries(db, DEMO_WORKSPACE_ID, expectedIds);
      const verdict = redeliveryVerdict({ requestId, ownEntries: 0, expectedIds, found, settled });
      if (verdict.duplicate) {
        process.stdout.write(describeRedelivery(found, verdict.firstRequestIds, platform) + '\n');
        return true;
      }
    }
    if (over) {
      process.stdout.write(nothingLoggedHint(cli.timeoutMs, rawSeenAt !== undefined) + '\n');
      return false;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const o = await waitForRequest(db, DEMO_WORKSPACE_ID, requestId, { timeoutMs: Math.max(deadline - Date.now(), 1_000) });
  process.stdout.write(describeObservation(o, expect, platform) + '\n');
  if (!o.settled) process.stdout.write(`  (still processing after ${cli.timeoutMs} ms: the statuses above are the latest seen)\n`);
  return o.settled;
}

/**
 * The secret to sign with: --secret, a wrong one (--bad-signature), or the
 * demo one. LINE's and Telegram's are the demo Block's in the block secrets
 * database (Telegram's secret token is made by the connector when npm start
 * connects the Block; LINE's channel secret is the demo one it connects with).
 */
async function signingSecret(cli: SendCli, secretsDb: Firestore): Promise<string | undefined> {
  if (cli.badSignature) return 'not-the-demo-secret';
  if (cli.secret !== undefined) return cli.secret;
  const platform = cli.platform!;
  if (platform !== 'telegram' && platform !== 'line') return undefined;
  let stored: string | undefined;
  try {
    stored = await Promise.race([
      demoBlockSecret(secretsDb, platform),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 10 s')), 10_000).unref()),
    ]);
  } catch (err) {
    fail(
      `could not read the demo ${platform} Block's secret from the block secrets database: ${(err as Error).message}. Is \`npm start\` running?`,
    );
  }
  if (!stored)
    fail(
      `the demo ${platform} Block has no secret in the block secrets database (was npm start run with --no-seed, or did its connect fail?); pass --secret`,
    );
  return stored;
}

async function sendOne(cli: SendCli, db: Firestore, secretsDb: Firestore, sampleName: string | undefined): Promise<boolean> {
  const platform = cli.platform!;
  let body: Buffer;
  let expect: string[] = [];
  let label: string;
  if (cli.file) {
    try {
      body = readFileSync(cli.file);
    } catch (err) {
      fail(`cannot read ${cli.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    label = cli.file;
  } else {
    let sample;
    try {
      sample = loadSample(platform, sampleName!);
    } catch (err) {
      fail((err as Error).message);
    }
    expect = sample.expect;
    body = sampleRequest(platform, sample.name, { id: cli.id }).body;
    label = `${platform}/${sample.name}`;
  }
  // A trace of our own, as Cloud Run's front end would start one: every function's lines carry its id.
  const trace = { traceId: newTraceId(), spanId: newSpanId(), sampled: true };
  const headers = { ...signedHeaders(platform, body, await signingSecret(cli, secretsDb)), traceparent: formatTraceparent(trace) };
  const url = cli.url ?? `http://127.0.0.1:${functionPort(`webhook-${platform}`, firstPort())}/`;
  const signing = cli.badSignature ? ', wrong signature' : cli.secret !== undefined ? ', signed with --secret' : '';
  process.stdout.write(`POST ${url}  ${label} (${body.length} bytes${signing})  trace ${trace.traceId}\n`);
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body: new Uint8Array(body), signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    fail(`could not reach ${url}: ${(err as Error).message}.${cli.url ? '' : ' Is `npm start` running?'}`);
  }
  const text = await res.text();
  process.stdout.write(`→ ${res.status} ${text}\n`);
  if (!res.ok || !cli.wait) return res.ok;
  if (!followsLocally(cli)) {
    process.stdout.write('(not followed: the event log of a remote --url is not the local emulator)\n');
    return true;
  }
  let requestId: string | undefined;
  try {
    requestId = (JSON.parse(text) as { request_id?: string }).request_id;
  } catch {
    /* not JSON */
  }
  if (!requestId) {
    process.stdout.write('(the answer names no request_id, so the request cannot be followed)\n');
    return true;
  }
  const followed = await follow(cli, db, requestId, body, expect);
  if (cli.trace) printTrace(trace.traceId);
  return followed;
}

/** --trace: the request's steps, from npm start's function log (its lines may trail the event log by a moment). */
function printTrace(traceId: string): void {
  const file = functionLogFile(STACK_DEFAULTS.logDir);
  const steps = traceSteps(readFunctionLog(file), traceId);
  if (!steps.length) {
    process.stdout.write(`No line of trace ${traceId} in ${file}: is npm start (this checkout's) running?\n`);
    return;
  }
  process.stdout.write(`Trace ${traceId} (${steps.length} log lines, times from the first):\n${formatSteps(steps)}\n`);
}

async function main(): Promise<void> {
  const cli = parse(process.argv.slice(2));
  if (cli.help) {
    process.stdout.write(HELP);
    return;
  }
  if (cli.list) return printList();
  const at = {
    projectId: process.env.LOCAL_PROJECT_ID || STACK_DEFAULTS.projectId,
    host: process.env.FIRESTORE_EMULATOR_HOST || `127.0.0.1:${STACK_DEFAULTS.firestorePort}`,
    ssl: false,
  };
  const db = new Firestore(at);
  const secretsDb = new Firestore({ ...at, databaseId: blockSecretsDatabase() });
  const names = cli.file
    ? [undefined]
    : cli.sample === 'all'
      ? listSamples()
          .filter((s) => s.platform === cli.platform)
          .map((s) => s.name)
      : [cli.sample];
  let ok = true;
  for (const name of names) {
    if (names.length > 1) process.stdout.write('\n');
    ok = (await sendOne(cli, db, secretsDb, name)) && ok;
  }
  await Promise.all([db.terminate(), secretsDb.terminate()]);
  // A refused request is what --bad-signature asks for: success for the command.
  process.exitCode = cli.badSignature ? (ok ? 1 : 0) : ok ? 0 : 1;
}

main().catch((err) => {
  process.stderr.write(`npm run send failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
