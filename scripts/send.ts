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
import { isPlatform, PLATFORMS, type Platform } from '../shared/platforms';
import { DEMO_WORKSPACE_ID } from './lib/demo';
import { waitForRequest, type Observation } from './lib/observe';
import { listSamples, loadSample, sampleRequest, signedHeaders } from './lib/samples';
import { functionPort, STACK_DEFAULTS } from './lib/stack';

const HELP = `Usage:
  npm run send -- <platform> <sample>      sign and POST scripts/samples/<platform>/<sample>.json
  npm run send -- <platform> all           every sample of the platform, one after the other
  npm run send -- <platform> --file F      POST the bytes of F as they are (a payload captured from the platform), signed with the demo secret
  npm run send -- --list                   list the samples

Options:
  --id X            fix the sample's random ids: sending twice with the same --id is a redelivery (deduplicated)
  --bad-signature   sign with a wrong secret (the webhook must answer 401 and publish nothing)
  --no-wait         only POST, do not follow the request through the pipeline
  --timeout MS      how long to follow it (default 20000)
  --url URL         POST here instead of the local webhook-<platform>

The stack is found like npm start finds it: FUNCTIONS_PORT (default ${STACK_DEFAULTS.functionsPort}),
FIRESTORE_EMULATOR_HOST (default 127.0.0.1:${STACK_DEFAULTS.firestorePort}), LOCAL_PROJECT_ID (default ${STACK_DEFAULTS.projectId}).
Platforms: ${PLATFORMS.join(', ')}.
`;

interface Cli {
  platform?: Platform;
  sample?: string;
  file?: string;
  id?: string;
  badSignature: boolean;
  wait: boolean;
  timeoutMs: number;
  url?: string;
  list: boolean;
}

function fail(message: string): never {
  process.stderr.write(`npm run send: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Cli {
  const cli: Cli = { badSignature: false, wait: true, timeoutMs: 20_000, list: false };
  const positional: string[] = [];
  const value = (i: number, flag: string) => argv[i] ?? fail(`${flag} needs a value`);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') {
      process.stdout.write(HELP);
      process.exit(0);
    } else if (arg === '--list') cli.list = true;
    else if (arg === '--file') cli.file = value(++i, arg);
    else if (arg === '--id') cli.id = value(++i, arg);
    else if (arg === '--bad-signature') cli.badSignature = true;
    else if (arg === '--no-wait') cli.wait = false;
    else if (arg === '--timeout') cli.timeoutMs = Number(value(++i, arg));
    else if (arg === '--url') cli.url = value(++i, arg);
    else if (arg.startsWith('--')) fail(`unknown option ${arg}\n\n${HELP}`);
    else positional.push(arg);
  }
  if (cli.list) return cli;
  const [platform, sample] = positional;
  if (!platform) fail(`which platform?\n\n${HELP}`);
  if (!isPlatform(platform)) fail(`unknown platform ${platform} (one of ${PLATFORMS.join(', ')})`);
  cli.platform = platform;
  if (!cli.file && !sample) fail(`which sample? (npm run send -- --list)`);
  cli.sample = sample;
  if (!Number.isFinite(cli.timeoutMs) || cli.timeoutMs <= 0) fail('--timeout must be a positive number of milliseconds');
  return cli;
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

function describe(o: Observation, expect: string[]): string {
  const lines: string[] = [];
  for (const e of o.entries) {
    const consumers = Object.entries(e.consumers)
      .map(([name, c]) => `${name}=${c.status}${c.attempt && c.attempt > 1 ? `#${c.attempt}` : ''}`)
      .join(' ');
    lines.push(
      `  ${e.id}  ${e.type ?? e.kind}  ${e.status ?? e.kind}` +
        (e.contact_id ? `  contact ${e.contact_id}` : '') +
        (consumers ? `  [${consumers}]` : ''),
    );
    if (e.rejection) lines.push(`      rejected: ${e.rejection.reason} at ${e.rejection.path || '(body)'}: ${e.rejection.detail}`);
    if (e.collection === 'unrouted_events')
      lines.push(`      unrouted: no Block is connected for this account (seeded accounts are in scripts/lib/demo.ts)`);
    for (const [name, c] of Object.entries(e.consumers)) if (c.error) lines.push(`      ${name} error: ${c.error}`);
    for (const id of e.execution_ids) {
      const x = o.executions[id];
      lines.push(`      execution ${id}` + (x ? `  workflow ${x.workflow_id ?? '?'}  ${x.status ?? ''}` : ''));
    }
  }
  const types = new Set(o.entries.map((e) => e.type));
  const missing = expect.filter((t) => !types.has(t));
  if (missing.length && o.entries.length) lines.push(`  note: the sample expects ${missing.join(', ')}, which did not show up`);
  return lines.join('\n');
}

async function sendOne(cli: Cli, db: Firestore, sampleName: string | undefined): Promise<boolean> {
  const platform = cli.platform!;
  let body: Buffer;
  let expect: string[] = [];
  let label: string;
  if (cli.file) {
    body = readFileSync(cli.file);
    label = cli.file;
  } else {
    const sample = loadSample(platform, sampleName!);
    expect = sample.expect;
    body = sampleRequest(platform, sample.name, { id: cli.id }).body;
    label = `${platform}/${sample.name}`;
  }
  const headers = signedHeaders(platform, body, cli.badSignature ? 'not-the-demo-secret' : undefined);
  const url = cli.url ?? `http://127.0.0.1:${functionPort(`webhook-${platform}`, firstPort())}/`;
  process.stdout.write(`POST ${url}  ${label} (${body.length} bytes${cli.badSignature ? ', wrong signature' : ''})\n`);
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body: new Uint8Array(body), signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    fail(`could not reach ${url}: ${(err as Error).message}. Is \`npm start\` running?`);
  }
  const text = await res.text();
  process.stdout.write(`→ ${res.status} ${text}\n`);
  if (!res.ok || !cli.wait) return res.ok;
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
  process.stdout.write(`Following request ${requestId} in the event log of ${DEMO_WORKSPACE_ID}...\n`);
  const o = await waitForRequest(db, DEMO_WORKSPACE_ID, requestId, { timeoutMs: cli.timeoutMs });
  if (o.entries.length === 0) {
    process.stdout.write(`  nothing in the event log after ${cli.timeoutMs} ms: is the normalizer running? (see the npm start output)\n`);
    return false;
  }
  process.stdout.write(describe(o, expect) + '\n');
  if (!o.settled) process.stdout.write(`  (still processing after ${cli.timeoutMs} ms: the statuses above are the latest seen)\n`);
  return o.settled;
}

async function main(): Promise<void> {
  const cli = parseArgs(process.argv.slice(2));
  if (cli.list) return printList();
  const db = new Firestore({
    projectId: process.env.LOCAL_PROJECT_ID || STACK_DEFAULTS.projectId,
    host: process.env.FIRESTORE_EMULATOR_HOST || `127.0.0.1:${STACK_DEFAULTS.firestorePort}`,
    ssl: false,
  });
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
    ok = (await sendOne(cli, db, name)) && ok;
  }
  await db.terminate();
  // A refused request is what --bad-signature asks for: success for the command.
  process.exitCode = cli.badSignature ? (ok ? 1 : 0) : ok ? 0 : 1;
}

main().catch((err) => {
  process.stderr.write(`npm run send failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
