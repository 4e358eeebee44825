/**
 * Edge bench: throughput and latency of a webhook function (verify + publish to
 * the Pub/Sub emulator) next to a bare functions-framework handler, and the
 * cold start of every bundled webhook function next to the same function run
 * unbundled. Servers run in their own processes; the load generator
 * (autocannon) runs here. Emulators are started by the bench and stopped after.
 *
 * Knobs: BENCH_DURATION_S (default 6), BENCH_CONNECTIONS (50), BENCH_ROUNDS_EDGE (3), BENCH_COLD_RUNS (3).
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { blockStores, saveBlock } from '../../shared/contracts/blocks';
import { buildFunction, ROOT } from '../build';
import { startEmulator, type RunningEmulator } from '../lib/emulators';
import { autocannon, CONNECTIONS, createTopic, DURATION_S, startServer, stop, type AutocannonResult, type Server } from './http-servers';
import { fmt, median, table } from './stats';

const PROJECT = 'convotic-bench';
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 3);
const THROUGHPUT_ROUNDS = Number(process.env.BENCH_ROUNDS_EDGE ?? 3);
const APP_SECRET = 'bench-app-secret';
const LINE_SECRET = 'bench-line-secret';
const TG_TOKEN = 'bench_tg_token';
const LINE_BOT = 'Ubench00000000000000000000000000';

const WEBHOOKS = [
  { name: 'webhook-instagram', target: 'webhookInstagram', platform: 'instagram' },
  { name: 'webhook-messenger', target: 'webhookMessenger', platform: 'messenger' },
  { name: 'webhook-whatsapp', target: 'webhookWhatsapp', platform: 'whatsapp' },
  { name: 'webhook-line', target: 'webhookLine', platform: 'line' },
  { name: 'webhook-telegram', target: 'webhookTelegram', platform: 'telegram' },
] as const;

type Platform = (typeof WEBHOOKS)[number]['platform'];

function signedRequest(platform: Platform): { body: string; headers: Record<string, string> } {
  const body =
    platform === 'line'
      ? JSON.stringify({ destination: LINE_BOT, events: [{ type: 'follow', timestamp: 1, source: { type: 'user', userId: 'U1' } }] })
      : platform === 'telegram'
        ? '{"update_id":1,"message":{"message_id":1,"date":1711878930,"chat":{"id":5,"type":"private"},"text":"hi"}}'
        : '{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"106540352242922"},"messages":[{"from":"16505551234","id":"wamid.X","timestamp":"1749416383","type":"text","text":{"body":"hello"}}]}}]}]}';
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (platform === 'line') headers['x-line-signature'] = createHmac('sha256', LINE_SECRET).update(body).digest('base64');
  else if (platform === 'telegram') headers['x-telegram-bot-api-secret-token'] = TG_TOKEN;
  else headers['x-hub-signature-256'] = 'sha256=' + createHmac('sha256', APP_SECRET).update(body).digest('hex');
  return { body, headers };
}

/** Polls until the first 200 (connection refused while the process boots); returns ms since spawn. */
async function untilFirst200(server: Server, init: RequestInit, path = '/'): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(server.url + path, init);
      await res.arrayBuffer();
      if (res.status === 200) return performance.now() - server.startedAt;
      throw new Error(`first answer was ${res.status}`);
    } catch (err) {
      if ((err as Error).message.startsWith('first answer')) throw err;
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/** The same entry points transpiled file by file (no bundle), requiring the Google clients from node_modules. */
async function buildUnbundled(): Promise<string> {
  const outdir = path.join(ROOT, 'dist', '.bench-unbundled');
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => {
      const p = path.join(dir, f);
      return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
    });
  await build({
    entryPoints: [...files(path.join(ROOT, 'shared')), ...WEBHOOKS.map((w) => path.join(ROOT, 'functions', w.name, 'index.ts'))],
    outdir,
    outbase: ROOT,
    bundle: false,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    logLevel: 'error',
  });
  return outdir;
}

function bareHandlerDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-bare-'));
  writeFileSync(
    path.join(dir, 'index.js'),
    `require(${JSON.stringify(path.join(ROOT, 'node_modules', '@google-cloud', 'functions-framework'))}).http('bare', (req, res) => res.status(200).send('{"ok":true}'));\n`,
  );
  return dir;
}

type LoadRequest = { body: string; headers: Record<string, string> };

/** A short load first, so measured rounds exclude JIT and connection set-up. */
async function warmUp(url: string, req: LoadRequest): Promise<void> {
  await autocannon({ url, method: 'POST', body: req.body, headers: req.headers, connections: CONNECTIONS, duration: 1 });
}

function load(url: string, req: LoadRequest): Promise<AutocannonResult> {
  return autocannon({ url, method: 'POST', body: req.body, headers: req.headers, connections: CONNECTIONS, duration: DURATION_S });
}

export async function run(): Promise<void> {
  console.log('starting the Pub/Sub and Firestore emulators…');
  const emulators: RunningEmulator[] = await Promise.all([
    startEmulator('pubsub', { projectId: PROJECT }),
    startEmulator('firestore', { projectId: PROJECT }),
  ]);
  const [pubsub, firestore] = emulators as [RunningEmulator, RunningEmulator];
  try {
    const topic = 'bench-webhook-raw';
    await createTopic(pubsub.host, PROJECT, topic);
    process.env.FIRESTORE_EMULATOR_HOST = firestore.host;
    process.env.GOOGLE_CLOUD_PROJECT = PROJECT;
    process.env.METADATA_SERVER_DETECTION = 'none'; // no probe of the GCE metadata server from here
    const stores = blockStores();
    await saveBlock(
      stores,
      { block_id: 'blk_bench_line', workspace_id: 'ws_bench', platform: 'line', account_id: LINE_BOT, status: 'connected' },
      { line_channel_secrets: [LINE_SECRET] },
    );
    await saveBlock(
      stores,
      { block_id: 'blk_bench_tg', workspace_id: 'ws_bench', platform: 'telegram', account_id: 'bench_bot', status: 'connected' },
      { telegram_secret_tokens: [TG_TOKEN] },
    );
    await Promise.all([stores.registry.terminate(), stores.secrets.terminate()]);

    const env = {
      PUBSUB_EMULATOR_HOST: pubsub.host,
      FIRESTORE_EMULATOR_HOST: firestore.host,
      GOOGLE_CLOUD_PROJECT: PROJECT,
      METADATA_SERVER_DETECTION: 'none',
      RAW_TOPIC: topic,
      META_APP_SECRET: APP_SECRET,
      META_VERIFY_TOKEN: 'bench-vt',
    };
    const bundles = Object.fromEntries(
      await Promise.all(
        WEBHOOKS.map(async (w) => [w.name, (await buildFunction(w.name, path.join(ROOT, 'functions', w.name, 'index.ts'))).dir]),
      ),
    );
    const unbundled = await buildUnbundled();

    // Throughput: bare handler vs the bundled WhatsApp webhook, both servers up, loaded one at a time in
    // alternating rounds so that drifting machine load reaches both sides alike; medians are reported.
    const bareRequest = { body: '{}', headers: { 'content-type': 'application/json' } };
    const whatsapp = signedRequest('whatsapp');
    const bare = await startServer(['--source', bareHandlerDir(), '--target', 'bare'], env);
    const webhookArgs = ['--source', bundles['webhook-whatsapp']!, '--target', 'webhookWhatsapp'];
    const webhook = await startServer(webhookArgs, { ...env, TRACE_EXPORTER: 'none' });
    // The same bundle with every span recorded by the OpenTelemetry SDK and dropped at export (no network):
    // what tracing costs the edge, next to it in the same rounds.
    const traced = await startServer(webhookArgs, { ...env, TRACE_EXPORTER: 'noop', TRACE_SAMPLE_RATIO: '1' });
    const bareRuns: AutocannonResult[] = [];
    const hookRuns: AutocannonResult[] = [];
    const tracedRuns: AutocannonResult[] = [];
    try {
      await untilFirst200(bare, { method: 'POST', ...bareRequest });
      await untilFirst200(webhook, { method: 'POST', body: whatsapp.body, headers: whatsapp.headers });
      await untilFirst200(traced, { method: 'POST', body: whatsapp.body, headers: whatsapp.headers });
      await warmUp(bare.url, bareRequest);
      await warmUp(webhook.url, whatsapp);
      await warmUp(traced.url, whatsapp);
      for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
        bareRuns.push(await load(bare.url, bareRequest));
        hookRuns.push(await load(webhook.url, whatsapp));
        tracedRuns.push(await load(traced.url, whatsapp));
      }
    } finally {
      await Promise.all([stop(bare), stop(webhook), stop(traced)]);
    }

    console.log(
      `\nthroughput: ${CONNECTIONS} connections, ${THROUGHPUT_ROUNDS} alternating rounds of ${DURATION_S} s (after a 1 s warm-up), each server in its own process; medians of the rounds\n`,
    );
    const summary = (runs: AutocannonResult[]) => ({
      rps: median(runs.map((r) => r.requests.average)),
      p50: median(runs.map((r) => r.latency.p50)),
      p99: median(runs.map((r) => r.latency.p99)),
      failed: runs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0),
      rounds: runs.map((r) => `${fmt(r.requests.average)}/${fmt(r.latency.p99)}`).join(' '),
    });
    const bareSummary = summary(bareRuns);
    const hookSummary = summary(hookRuns);
    const row = (name: string, r: ReturnType<typeof summary>) => [
      name,
      fmt(r.rps),
      fmt(r.p50, 1),
      fmt(r.p99, 1),
      String(r.failed),
      r.rounds,
    ];
    console.log(
      table([
        ['server', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx/errors', 'rounds (req/s / p99 ms)'],
        row('bare functions-framework handler', bareSummary),
        row('webhook-whatsapp (verify + publish)', hookSummary),
        row('webhook-whatsapp, spans recorded (noop exporter)', summary(tracedRuns)),
      ]),
    );
    const tracedRatio = median(tracedRuns.map((r, i) => r.requests.average / hookRuns[i]!.requests.average));
    console.log(
      `\ntracing on / off (TRACE_EXPORTER=noop, TRACE_SAMPLE_RATIO=1 / none; median of the rounds' ratios): ${fmt(tracedRatio * 100)}% of the untraced throughput`,
    );
    const ratio = median(hookRuns.map((r, i) => r.requests.average / bareRuns[i]!.requests.average));
    console.log(
      `\nratio webhook/bare (median of the rounds' ratios): ${fmt(ratio * 100)}% of bare throughput (target ≥ 50%), median p99 ${fmt(hookSummary.p99, 1)} ms (target < 50 ms)`,
    );

    // Cold start: process spawn to the first 200 of a signed request (which loads and connects the clients).
    const rows: string[][] = [['function', 'bundled ms', 'unbundled ms', 'bundle KiB']];
    for (const w of WEBHOOKS) {
      const req = signedRequest(w.platform);
      const init: RequestInit = { method: 'POST', body: req.body, headers: req.headers };
      const measure = async (source: string): Promise<number> => {
        const times: number[] = [];
        for (let i = 0; i < COLD_RUNS; i++) {
          const server = await startServer(['--source', source, '--target', w.target], env);
          try {
            times.push(await untilFirst200(server, init));
          } finally {
            await stop(server);
          }
        }
        return median(times);
      };
      const bundled = await measure(bundles[w.name]!);
      const plain = await measure(path.join(unbundled, 'functions', w.name, 'index.js'));
      rows.push([w.name, fmt(bundled), fmt(plain), fmt(statSync(path.join(bundles[w.name]!, 'index.js')).size / 1024)]);
    }
    console.log(
      `\ncold start: spawn → first 200 to a signed POST (median of ${COLD_RUNS}); unbundled = same sources transpiled file by file, clients from node_modules\n`,
    );
    console.log(table(rows));
  } finally {
    rmSync(path.join(ROOT, 'dist', '.bench-unbundled'), { recursive: true, force: true });
    await Promise.all(emulators.map((e) => e.stop()));
  }
}
