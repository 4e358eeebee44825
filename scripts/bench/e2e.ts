/**
 * End-to-end bench: where every millisecond goes from a signed webhook POST to
 * its event log entry and to status `success`, through the whole local stack
 * (edge → Pub/Sub push → normalizer → events → event-log, contacts, triggers).
 * In the same run it measures the floors nothing of ours can beat:
 *
 *   push, one hop    publish → emulator push → a no-op endpoint in this process
 *   push, two hops   publish → push → (publish from the endpoint) → push: the
 *                    shape of webhook-raw → normalizer → events → a consumer
 *   Firestore echo   one write seen by a snapshot listener: the cost of observing anything
 *   POST alone       the webhook's own answer time (verify + publish), part of every send
 *
 * and, for each function a send reaches, its time per push request (arrival to
 * answer, framework included) and its Firestore calls and sequential round
 * trips per request: request-probe.cjs, preloaded into the function processes,
 * prints a line per request, so production code carries no counters.
 *
 * The floor chain is two push hops plus one Firestore echo (p50s): what a
 * send costs when every handler takes no time. The bench ends with the ratio
 * of POST → success to it.
 *
 * Every send is a fresh sample (rotating over the platforms' `text` samples).
 * Entries are observed the way the load bench does, by queries on the open
 * request ids (event-log-poll.ts) polled every BENCH_E2E_POLL_MS (default 20 ms),
 * not by a snapshot listener on the whole event_log, which loads the emulator
 * and lags by seconds: "logged" when a query first returns the entry with the
 * log writer's fields, "success" when it first returns it at status `success`.
 * An observation is late by up to the poll interval plus one query's round
 * trip: on average half the interval (10 ms at the default) plus a query.
 * Closed loop: each of the senders waits for its send to reach `success` (what
 * a user waits for: the workflow started) before sending again, so the figure
 * is latency, not a backlog (the load bench measures rates). Waiting only for
 * the entry (BENCH_E2E_WAIT_FOR=entry) lets four senders outpace triggers, two
 * events per send pushed two at a time, and POST → success then measures
 * that queue (docs/performance.md). Loopback only; the stack runs on emulators
 * of its own (free ports), stopped afterwards.
 *
 * Knobs: BENCH_E2E_SENDS (default 300), BENCH_E2E_MAX_S (default 90, stops
 * sending after that), BENCH_E2E_CONCURRENCY (default 4 senders),
 * BENCH_E2E_FLOOR_ROUNDS (default 40 samples of each push floor, half before the sends and half after), BENCH_E2E_POLL_MS
 * (default 20, the interval between polls of the event log), BENCH_E2E_WAIT_FOR
 * (`success`, the default, or `entry`: what a sender waits for before its next send).
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Platform } from '../../shared/platforms';
import { DEMO_WORKSPACE_ID } from '../lib/demo';
import { freePort } from '../lib/emulators';
import { sampleRequest } from '../lib/samples';
import { startStack, type Stack } from '../lib/stack';
import { eventLogPoll, sleep } from './event-log-poll';
import { fmt as fmtNumber, stats, table } from './stats';

// Off GCP: keeps the Google clients in this process from probing the metadata server.
process.env.METADATA_SERVER_DETECTION ??= 'none';
const SENDS = Number(process.env.BENCH_E2E_SENDS ?? 300);
const MAX_S = Number(process.env.BENCH_E2E_MAX_S ?? 90);
const CONCURRENCY = Number(process.env.BENCH_E2E_CONCURRENCY ?? 4);
const FLOOR_ROUNDS = Number(process.env.BENCH_E2E_FLOOR_ROUNDS ?? 40);
const WARMUP = 20;
const POLL_MS = Number(process.env.BENCH_E2E_POLL_MS ?? 20);
const WAIT_FOR = process.env.BENCH_E2E_WAIT_FOR ?? 'success';
if (WAIT_FOR !== 'success' && WAIT_FOR !== 'entry') throw new Error(`BENCH_E2E_WAIT_FOR must be success or entry, not ${WAIT_FOR}`);
const PROBE = path.join(__dirname, 'request-probe.cjs');
const PLATFORMS: Platform[] = ['messenger', 'instagram', 'whatsapp', 'line', 'telegram'];

const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN);

/** Milliseconds to a tenth. */
const fmt = (ms: number) => fmtNumber(ms, 1);

interface Timing {
  sentAt: number;
  answeredAt?: number;
  loggedAt?: number;
  successAt?: number;
}

async function firestoreEcho(stack: Stack, rounds: number): Promise<number[]> {
  const probe = stack.firestore.collection('bench_probe');
  const pending = new Map<string, (t: number) => void>();
  const unsubscribe = probe.onSnapshot((snap) => {
    const now = performance.now();
    for (const change of snap.docChanges()) pending.get(change.doc.id)?.(now);
  });
  const out: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const id = `p${Date.now()}_${i}`;
      // Bounded: the emulator's listener has been seen to stall for two minutes once; such a sample is left out (n says so).
      const seen = new Promise<number | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), 5_000);
        pending.set(id, (t) => (clearTimeout(timer), resolve(t)));
      });
      const start = performance.now();
      await probe.doc(id).set({ i });
      const at = await seen;
      if (at !== undefined) out.push(at - start);
      pending.delete(id);
    }
  } finally {
    unsubscribe();
  }
  return out;
}

/** What request-probe.cjs printed for one push request a function served. */
interface ProbeLine {
  subscription: string | null;
  type: string | null;
  since_publish_ms: number | null;
  status: number;
  ms: number;
  firestore_calls: number;
  firestore_round_trips: number;
  firestore_ms: number;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Push floor samples: one hop and two, one of each at a time. */
interface PushFloors {
  sample(rounds: number): Promise<{ oneHop: number[]; twoHops: number[] }>;
  close(): Promise<void>;
}

/**
 * The emulator's own push latency, to a no-op endpoint in this process: one
 * hop (publish → push) and two (publish → push → publish → push), interleaved
 * one sample of each at a time. No batching delay on either publish.
 */
async function openPushFloors(stack: Stack): Promise<PushFloors> {
  const arrived = new Map<string, (t: number) => void>();
  const batching = { maxMessages: 1, maxMilliseconds: 0 };
  const names = { one: 'bench-floor-one', first: 'bench-floor-first', second: 'bench-floor-second' };
  const second = stack.pubsub.topic(names.second, { batching });
  const server = createServer((req, res) => {
    void readBody(req).then(async (text) => {
      const at = performance.now();
      const message = (JSON.parse(text) as { message: { attributes?: Record<string, string> } }).message;
      const id = message.attributes?.id ?? '';
      // The first of two hops publishes on, as the normalizer does, and answers once the publish is acknowledged.
      if (req.url === '/first') await second.publishMessage({ data: Buffer.from('{}'), attributes: { id } });
      else arrived.get(id)?.(at);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const subscribe = async (topic: string, endpoint: string) => {
    const [t] = await stack.pubsub.createTopic(topic);
    await t.createSubscription(`${topic}-push`, { pushConfig: { pushEndpoint: `${base}${endpoint}` }, ackDeadlineSeconds: 10 });
    return stack.pubsub.topic(topic, { batching });
  };
  try {
    const one = await subscribe(names.one, '/one');
    const first = await subscribe(names.first, '/first');
    await subscribe(names.second, '/second');
    const hop = async (topic: typeof one, id: string): Promise<number> => {
      const seen = new Promise<number>((resolve) => arrived.set(id, resolve));
      const start = performance.now();
      await topic.publishMessage({ data: Buffer.from('{}'), attributes: { id } });
      const at = await seen;
      arrived.delete(id);
      return at - start;
    };
    let n = 0;
    const sample = async (rounds: number) => {
      const oneHop: number[] = [];
      const twoHops: number[] = [];
      for (let i = 0; i < rounds; i++, n++) {
        oneHop.push(await hop(one, `one-${n}`));
        twoHops.push(await hop(first, `two-${n}`));
      }
      return { oneHop, twoHops };
    };
    // Two warm-up samples of each, not counted: the first push of a subscription starts its delivery loop.
    await sample(2);
    return { sample, close };
  } catch (err) {
    await close();
    throw err;
  }
}

export async function run(): Promise<void> {
  console.log('starting the local stack (emulators + every function)…');
  // Probe lines by function name (and the event log's by subscription), kept only while the sends are measured.
  const probes = new Map<string, ProbeLine[]>();
  let probing = false;
  const stack = await startStack({
    projectId: 'convotic-bench-e2e',
    pubsubPort: await freePort(),
    firestorePort: await freePort(),
    functionsPort: 'free',
    logDir: mkdtempSync(path.join(os.tmpdir(), 'convotic-bench-e2e-')),
    // Warnings and errors only: formatting debug lines would be measured too.
    functionEnv: { LOG_LEVEL: 'warning', LOG_FORMAT: 'json', NODE_OPTIONS: `--require ${PROBE}` },
    onLine: (name, line) => {
      if (line.startsWith('{"bench_probe"')) {
        if (!probing) return;
        const probe = JSON.parse(line) as ProbeLine;
        // The event log's two subscriptions apart, and each consumer's pushes by event type (a send's message and its derived start).
        const sub = name === 'event-log' && probe.subscription ? ` (${probe.subscription})` : '';
        const key = `${name}${sub}${probe.type ? ` ${probe.type}` : ''}`;
        probes.set(key, [...(probes.get(key) ?? []), probe]);
        return;
      }
      if (line.includes('"ERROR"') || line.includes('"CRITICAL"')) console.log(`  [${name}] ${line.slice(0, 300)}`);
    },
    onNotice: (m) => console.log(`  ${m}`),
  });
  let floorsProbe: PushFloors | undefined;
  try {
    if (stack.skipped.length || stack.failed.length) {
      throw new Error(`the stack is incomplete: ${[...stack.skipped, ...stack.failed].map((f) => `${f.name}: ${f.reason}`).join('; ')}`);
    }
    const byRequest = new Map<string, Timing>();
    // Entries are seen by queries on the open request ids every POLL_MS, not by a listener (see the header).
    const seen = eventLogPoll(stack.firestore, DEMO_WORKSPACE_ID);
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const open = [...byRequest.keys()].filter((id) => !seen.successAt.has(id));
        if (open.length) await seen.poll(open);
        await sleep(POLL_MS);
      }
    })();
    /** Resolves once the request's entry is seen as WAIT_FOR says, or after 30 s (then the send counts as not there). */
    const observed = WAIT_FOR === 'success' ? seen.successAt : seen.loggedAt;
    const arrived = async (requestId: string) => {
      const until = performance.now() + 30_000;
      while (!observed.has(requestId) && performance.now() < until) await sleep(POLL_MS / 2);
    };

    let sent = 0;
    const send = async (measure: boolean) => {
      const platform = PLATFORMS[sent++ % PLATFORMS.length]!;
      // Telegram's secret token was made when the seed connected the Block through the blocks API.
      const secret = platform === 'telegram' || platform === 'line' ? stack.seed?.secrets[platform] : undefined;
      const request = sampleRequest(platform, 'text', { secret });
      const timing: Timing = { sentAt: performance.now() };
      const res = await fetch(`${stack.functions[`webhook-${platform}`]!.url}/`, {
        method: 'POST',
        headers: request.headers,
        body: new Uint8Array(request.body),
      });
      timing.answeredAt = performance.now();
      const body = (await res.json()) as { request_id?: string };
      if (res.status !== 200 || !body.request_id) throw new Error(`webhook-${platform} answered ${res.status} ${JSON.stringify(body)}`);
      if (!measure) return;
      byRequest.set(body.request_id, timing);
      await arrived(body.request_id);
    };

    console.log(`warming up (${WARMUP} sends)…`);
    for (let i = 0; i < WARMUP; i++) await send(false);

    // The floors are sampled half before the sends and half after: one batch of samples can catch the
    // emulator's push loop in one phase, and the ratio to them is only as steady as they are.
    const half = Math.ceil(FLOOR_ROUNDS / 2);
    const echo = await firestoreEcho(stack, 25);
    console.log(`measuring the emulator's push floor (${half} samples of one and of two hops, as many again after the sends)…`);
    floorsProbe = await openPushFloors(stack);
    const floors = await floorsProbe.sample(half);

    const waitsFor = WAIT_FOR === 'success' ? 'its entry at success' : 'its log entry';
    console.log(`sending up to ${SENDS} webhooks, ${CONCURRENCY} senders each waiting for ${waitsFor}, for at most ${MAX_S} s…`);
    const stopAt = performance.now() + MAX_S * 1000;
    let measured = 0;
    probing = true;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (measured < SENDS && performance.now() < stopAt) {
          measured++;
          await send(true);
        }
      }),
    );
    // Let the last sends land (bounded).
    const drainUntil = performance.now() + 30_000;
    while ([...byRequest.keys()].some((id) => !seen.successAt.has(id)) && performance.now() < drainUntil) await sleep(100);
    polling = false;
    await poller;
    probing = false;
    const after = await floorsProbe.sample(FLOOR_ROUNDS - half);
    floors.oneHop.push(...after.oneHop);
    floors.twoHops.push(...after.twoHops);
    echo.push(...(await firestoreEcho(stack, 25)));

    const timings = [...byRequest].map(([id, t]) => ({ ...t, loggedAt: seen.loggedAt.get(id), successAt: seen.successAt.get(id) }));
    const post = stats(timings.map((t) => t.answeredAt! - t.sentAt));
    const toLog = stats(timings.filter((t) => t.loggedAt !== undefined).map((t) => t.loggedAt! - t.sentAt));
    const success = stats(timings.filter((t) => t.successAt !== undefined).map((t) => t.successAt! - t.sentAt));
    const fsEcho = stats(echo);
    const oneHop = stats(floors.oneHop);
    const twoHops = stats(floors.twoHops);
    const lost = timings.filter((t) => t.successAt === undefined).length;
    const chain = { p50: twoHops.p50 + fsEcho.p50, p99: twoHops.p99 + fsEcho.p99 };

    console.log(`\nfloors, measured in this run (ms)\n`);
    console.log(
      table([
        ['floor', 'n', 'p50', 'p99'],
        ['push, one hop (publish → no-op endpoint)', String(oneHop.n), fmt(oneHop.p50), fmt(oneHop.p99)],
        ['push, two hops (publish → push → publish → push)', String(twoHops.n), fmt(twoHops.p50), fmt(twoHops.p99)],
        ['Firestore echo (write → listener)', String(fsEcho.n), fmt(fsEcho.p50), fmt(fsEcho.p99)],
        ['floor chain: two hops + echo', '', fmt(chain.p50), fmt(chain.p99)],
        ['webhook POST answered', String(post.n), fmt(post.p50), fmt(post.p99)],
      ]),
    );

    console.log(
      `\neach function, per push request while the sends were measured (ms: from the message's publish time to the push's arrival, ` +
        `the push hop plus any wait for one of the emulator's two push slots; then arrival to answer; Firestore calls and round trips per request: mean, max)\n`,
    );
    const rows = [
      [
        'function',
        'n',
        'publish → arrival p50',
        'p99',
        'p50',
        'p99',
        'waiting on Firestore p50',
        'Firestore calls',
        'sequential round trips',
      ],
    ];
    for (const [name, lines] of [...probes].sort(([a], [b]) => a.localeCompare(b))) {
      const ms = stats(lines.map((l) => l.ms));
      const calls = lines.map((l) => l.firestore_calls);
      const trips = lines.map((l) => l.firestore_round_trips);
      const hop = stats(lines.flatMap((l) => (l.since_publish_ms === null ? [] : [l.since_publish_ms])));
      rows.push([
        name,
        String(ms.n),
        fmt(hop.p50),
        fmt(hop.p99),
        fmt(ms.p50),
        fmt(ms.p99),
        fmt(stats(lines.map((l) => l.firestore_ms)).p50),
        `${mean(calls).toFixed(2)}, ${Math.max(...calls)}`,
        `${mean(trips).toFixed(2)}, ${Math.max(...trips)}`,
      ]);
    }
    console.log(table(rows));

    console.log(
      `\nlatency from POST, ${timings.length} sends over the 5 platforms, ${CONCURRENCY} closed-loop senders waiting for ${waitsFor} (ms)\n`,
    );
    const ratio = (v: number, of: number) => `${(v / of).toFixed(2)}×`;
    console.log(
      table([
        ['measure', 'n', 'p50', 'p99', 'p50 / chain p50', 'p99 / chain p50'],
        [
          'POST → event log entry',
          String(toLog.n),
          fmt(toLog.p50),
          fmt(toLog.p99),
          ratio(toLog.p50, chain.p50),
          ratio(toLog.p99, chain.p50),
        ],
        [
          'POST → entry status success',
          String(success.n),
          fmt(success.p50),
          fmt(success.p99),
          ratio(success.p50, chain.p50),
          ratio(success.p99, chain.p50),
        ],
      ]),
    );
    console.log(
      `\n${lost ? `${lost} send(s) not at success within 30 s of the last send` : 'every send reached success'}; ` +
        `p99 = ${ratio(success.p99, chain.p50)} the floor chain's p50 (${ratio(success.p99, chain.p99)} its p99 of ${fmt(chain.p99)} ms).`,
    );
    console.log(
      `POST → success p50 = ${(success.p50 / chain.p50).toFixed(2)}× the floor chain ` +
        `(${fmt(success.p50)} ms / ${fmt(chain.p50)} ms: two push hops ${fmt(twoHops.p50)} + Firestore echo ${fmt(fsEcho.p50)}, p50s)`,
    );
    if (lost) process.exitCode = 1;
  } finally {
    await floorsProbe?.close();
    await stack.stop();
  }
}

if (require.main === module) {
  run().catch((err) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  });
}
