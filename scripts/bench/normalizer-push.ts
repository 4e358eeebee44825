/**
 * Bench part "normalizer-push": the normalizer function's push requests per
 * second (functions-framework, decode the push, normalize, routing through the
 * Block registry, awaited publish of the envelope to the Pub/Sub emulator)
 * next to a bare functions-framework handler answering the same push body, in
 * the same run: each server in its own process, loaded with autocannon one at
 * a time in alternating rounds (as the edge part does), so that drifting
 * machine load reaches all alike. Reports the medians and the median of the
 * rounds' ratios (target ≥ 0.5).
 *
 * A third server shows how much of the gap is the emulator's publish rather
 * than our code: a bare handler that only awaits one publish of the push's
 * data, with the publish settings our functions use (shared/runtime/gcp.ts).
 *
 * The normalizer runs as production builds it (the esbuild bundle). Every
 * request is the same WhatsApp text message, so the Block lookup is a cache
 * hit after the first, as it is for a busy account.
 *
 * Each server's CPU time per push (user + system, from /proc on Linux) is
 * shown beside its rate: unlike the rate it hardly moves with the machine's
 * load, and it says what a push costs the process whatever it waits for.
 *
 * Knobs: BENCH_DURATION_S (default 6), BENCH_CONNECTIONS (50), BENCH_ROUNDS_PUSH (5).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { blockStores, saveBlock } from '../../shared/contracts/blocks';
import { DEFAULT_PUBLISH_OPTIONS } from '../../shared/runtime/gcp';
import { buildFunction, ROOT } from '../build';
import { startEmulator, type RunningEmulator } from '../lib/emulators';
import { autocannon, CONNECTIONS, createTopic, DURATION_S, startServer, stop, type AutocannonResult, type Server } from './http-servers';
import { fmt, median, table } from './stats';

const PROJECT = 'convotic-bench-push';
const ROUNDS = Number(process.env.BENCH_ROUNDS_PUSH ?? 5);
const PHONE_NUMBER_ID = '106540352242922';

/** A webhook-raw push as the emulator delivers it: one WhatsApp text message. */
function pushBody(): string {
  const webhook = {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '1',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { phone_number_id: PHONE_NUMBER_ID },
              contacts: [{ profile: { name: 'Bench' }, wa_id: '16505551234' }],
              messages: [{ from: '16505551234', id: 'wamid.BENCH', timestamp: '1749416383', type: 'text', text: { body: 'hello' } }],
            },
          },
        ],
      },
    ],
  };
  return JSON.stringify({
    message: {
      data: Buffer.from(JSON.stringify(webhook)).toString('base64'),
      attributes: {
        platform: 'whatsapp',
        kind: 'webhook',
        received_at: new Date().toISOString(),
        request_id: 'req_bench_push',
        content_type: 'application/json',
      },
      messageId: '1',
      publishTime: new Date().toISOString(),
    },
    subscription: `projects/${PROJECT}/subscriptions/normalizer`,
    deliveryAttempt: 1,
  });
}

/** Clock ticks a second, the unit of /proc's CPU times. */
function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}
const TICK_US = 1e6 / clockTicks();

/** The process's CPU time so far (user + system, µs), from /proc/<pid>/stat; undefined where there is no /proc. */
function cpuUs(pid: number | undefined): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name in parentheses: field 3 (state) on; utime and stime are fields 14 and 15 (proc(5)).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_US;
  } catch {
    return undefined;
  }
}

/** One round of one server: autocannon's result and the server's CPU time per request it answered. */
type Round = AutocannonResult & { cpuUsPerRequest?: number };

async function measured(server: Server, body: string, duration: number): Promise<Round> {
  const before = cpuUs(server.child.pid);
  const result = await load(server.url, body, duration);
  const after = cpuUs(server.child.pid);
  const cpuUsPerRequest =
    before !== undefined && after !== undefined && result.requests.total > 0 ? (after - before) / result.requests.total : undefined;
  return { ...result, cpuUsPerRequest };
}

/** Polls until the first 2xx (connection refused while the process boots). */
async function untilUp(server: Server, body: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(server.url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      await res.arrayBuffer();
      if (res.ok) return;
      throw new Error(`${server.url} answered ${res.status}`);
    } catch (err) {
      if ((err as Error).message.includes('answered') || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

const load = (url: string, body: string, duration: number) =>
  autocannon({ url, method: 'POST', body, headers: { 'content-type': 'application/json' }, connections: CONNECTIONS, duration });

export async function run(): Promise<void> {
  console.log('starting the Pub/Sub and Firestore emulators, bundling the normalizer…');
  const emulators: RunningEmulator[] = await Promise.all([
    startEmulator('pubsub', { projectId: PROJECT }),
    startEmulator('firestore', { projectId: PROJECT }),
  ]);
  const [pubsub, firestore] = emulators as [RunningEmulator, RunningEmulator];
  // Under dist/ (git-ignored), so that the bundle finds node_modules as a deployed one does its own.
  const outDir = path.join(ROOT, 'dist', '.bench-normalizer-push');
  const bareDir = mkdtempSync(path.join(os.tmpdir(), 'bench-bare-push-'));
  try {
    for (const topic of ['bench-events', 'bench-rejected']) await createTopic(pubsub.host, PROJECT, topic);
    process.env.FIRESTORE_EMULATOR_HOST = firestore.host;
    process.env.GOOGLE_CLOUD_PROJECT = PROJECT;
    process.env.METADATA_SERVER_DETECTION = 'none';
    const stores = blockStores();
    await saveBlock(stores, {
      block_id: 'blk_bench_wa',
      workspace_id: 'ws_bench',
      platform: 'whatsapp',
      account_id: PHONE_NUMBER_ID,
      status: 'connected',
    });
    await Promise.all([stores.registry.terminate(), stores.secrets.terminate()]);

    const built = await buildFunction('normalizer', path.join(ROOT, 'functions', 'normalizer', 'index.ts'), outDir);
    const nodeModules = (name: string) => JSON.stringify(path.join(ROOT, 'node_modules', name));
    writeFileSync(
      path.join(bareDir, 'index.js'),
      [
        `const { http } = require(${nodeModules('@google-cloud/functions-framework')});`,
        `http('bare', (req, res) => res.status(204).end());`,
        `let topic;`,
        `http('publishOnly', async (req, res) => {`,
        `  topic ??= new (require(${nodeModules('@google-cloud/pubsub')}).PubSub)().topic('bench-events', ${JSON.stringify(DEFAULT_PUBLISH_OPTIONS)});`,
        `  await topic.publishMessage({ data: Buffer.from(req.body.message.data, 'base64') });`,
        `  res.status(204).end();`,
        `});`,
        '',
      ].join('\n'),
    );
    const env = {
      PUBSUB_EMULATOR_HOST: pubsub.host,
      FIRESTORE_EMULATOR_HOST: firestore.host,
      GOOGLE_CLOUD_PROJECT: PROJECT,
      METADATA_SERVER_DETECTION: 'none',
      EVENTS_TOPIC: 'bench-events',
      REJECTED_TOPIC: 'bench-rejected',
      PUSH_AUTH: 'off',
      TRACE_EXPORTER: 'none',
      // Warnings and errors only, as the bare handler logs nothing: a line per request would be measured too.
      LOG_LEVEL: 'warning',
    };
    const body = pushBody();
    const bare = await startServer(['--source', bareDir, '--target', 'bare'], env, { stderr: 'inherit' });
    const publishOnly = await startServer(['--source', bareDir, '--target', 'publishOnly'], env, { stderr: 'inherit' });
    const normalizer = await startServer(['--source', built.dir, '--target', 'normalizer'], env, { stderr: 'inherit' });
    const servers = [bare, publishOnly, normalizer];
    const runs: Round[][] = servers.map(() => []);
    try {
      for (const server of servers) await untilUp(server, body);
      for (const server of servers) await load(server.url, body, 1);
      for (let round = 0; round < ROUNDS; round++) {
        for (const [i, server] of servers.entries()) runs[i]!.push(await measured(server, body, DURATION_S));
      }
    } finally {
      await Promise.all(servers.map(stop));
    }
    const [bareRuns, publishRuns, normRuns] = runs as [Round[], Round[], Round[]];

    console.log(
      `\npush requests: ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${DURATION_S} s (after a 1 s warm-up), each server in its own process; medians of the rounds\n`,
    );
    const cpu = (runs: Round[]) => {
      const values = runs.flatMap((r) => (r.cpuUsPerRequest === undefined ? [] : [r.cpuUsPerRequest]));
      return values.length ? fmt(median(values)) : '-';
    };
    const row = (name: string, runs: Round[]) => [
      name,
      fmt(median(runs.map((r) => r.requests.average))),
      cpu(runs),
      fmt(median(runs.map((r) => r.latency.p50)), 1),
      fmt(median(runs.map((r) => r.latency.p99)), 1),
      String(runs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0)),
      runs.map((r) => fmt(r.requests.average)).join(' '),
    ];
    console.log(
      table([
        ['server', 'req/s', 'CPU µs/push', 'p50 ms', 'p99 ms', 'non-2xx/errors', 'rounds (req/s)'],
        row('bare functions-framework handler (same push body)', bareRuns),
        row('bare handler + one awaited publish (our publish settings)', publishRuns),
        row('normalizer (decode, normalize, route, awaited publish)', normRuns),
      ]),
    );
    const ratios = (of: AutocannonResult[], to: AutocannonResult[]) => of.map((r, i) => r.requests.average / to[i]!.requests.average);
    const said = (values: number[]) => `${fmt(median(values), 2)} (rounds ${values.map((r) => fmt(r, 2)).join(', ')})`;
    console.log(`\nmedians of the rounds' ratios of push requests per second:`);
    console.log(`  bare + publish / bare:      ${said(ratios(publishRuns, bareRuns))}: what the awaited publish to the emulator leaves`);
    console.log(`  normalizer / bare + publish: ${said(ratios(normRuns, publishRuns))}: what our decode, normalize and routing leave`);
    console.log(`  normalizer / bare:          ${said(ratios(normRuns, bareRuns))} (target ≥ 0.5)`);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
    rmSync(bareDir, { recursive: true, force: true });
    await Promise.all(emulators.map((e) => e.stop()));
  }
}
