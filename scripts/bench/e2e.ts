/**
 * End-to-end bench: latency from a signed webhook POST to its event log entry,
 * through the whole local stack (edge → Pub/Sub push → normalizer → events →
 * event-log, contacts, triggers), against two floors measured in the same run:
 *
 *   POST alone      the webhook's own answer time (verify + publish), part of every send
 *   Firestore echo  one write seen by a snapshot listener: the cost of observing anything
 *
 * Every send is a fresh sample (rotating over the platforms' `text` samples).
 * Entries are observed with a snapshot listener on the workspace's event_log,
 * timestamped on arrival: "logged" when the entry first appears, "success" when
 * every subscriber has reported success. Closed loop: each of the senders
 * waits for its entry before sending again, so the numbers are latency, not
 * the queueing of an open-loop flood (the local stack on emulators handles only
 * a few events per second). Loopback only; the stack runs on emulators of its
 * own (free ports), stopped afterwards.
 *
 * Knobs: BENCH_E2E_SENDS (default 300), BENCH_E2E_MAX_S (default 90, stops
 * sending after that), BENCH_E2E_CONCURRENCY (default 4 senders).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Platform } from '../../shared/platforms';
import { DEMO_WORKSPACE_ID } from '../lib/demo';
import { freePort } from '../lib/emulators';
import { sampleRequest } from '../lib/samples';
import { startStack, type Stack } from '../lib/stack';

// Off GCP: keeps the Google clients in this process from probing the metadata server.
process.env.METADATA_SERVER_DETECTION ??= 'none';
const SENDS = Number(process.env.BENCH_E2E_SENDS ?? 300);
const MAX_S = Number(process.env.BENCH_E2E_MAX_S ?? 90);
const CONCURRENCY = Number(process.env.BENCH_E2E_CONCURRENCY ?? 4);
const WARMUP = 20;
const PLATFORMS: Platform[] = ['messenger', 'instagram', 'whatsapp', 'line', 'telegram'];

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function stats(values: number[]): { n: number; p50: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
}

const fmt = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(1) : '–');

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

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
      const seen = new Promise<number>((resolve) => pending.set(id, resolve));
      const start = performance.now();
      await probe.doc(id).set({ i });
      out.push((await seen) - start);
      pending.delete(id);
    }
  } finally {
    unsubscribe();
  }
  return out;
}

export async function run(): Promise<void> {
  console.log('starting the local stack (emulators + every function)…');
  const stack = await startStack({
    projectId: 'convotic-bench-e2e',
    pubsubPort: await freePort(),
    firestorePort: await freePort(),
    functionsPort: 'free',
    logDir: mkdtempSync(path.join(os.tmpdir(), 'convotic-bench-e2e-')),
    // Warnings and errors only: formatting debug lines would be measured too.
    functionEnv: { LOG_LEVEL: 'warning', LOG_FORMAT: 'json' },
    onLine: (name, line) => {
      if (line.includes('"ERROR"') || line.includes('"CRITICAL"')) console.log(`  [${name}] ${line.slice(0, 300)}`);
    },
    onNotice: (m) => console.log(`  ${m}`),
  });
  try {
    if (stack.skipped.length || stack.failed.length) {
      throw new Error(`the stack is incomplete: ${[...stack.skipped, ...stack.failed].map((f) => `${f.name}: ${f.reason}`).join('; ')}`);
    }
    const byRequest = new Map<string, Timing>();
    const early = new Map<string, { loggedAt?: number; successAt?: number }>();
    const waiters = new Map<string, () => void>();
    const note = (requestId: string, field: 'loggedAt' | 'successAt', at: number) => {
      const timing = byRequest.get(requestId) ?? early.get(requestId) ?? {};
      if (timing[field] === undefined) timing[field] = at;
      if (!byRequest.has(requestId)) early.set(requestId, timing);
      if (field === 'loggedAt') waiters.get(requestId)?.();
    };
    /** Resolves once the request's entry is logged, or after 30 s (then it counts as not logged). */
    const logged = (requestId: string) =>
      new Promise<void>((resolve) => {
        if (byRequest.get(requestId)?.loggedAt !== undefined) return resolve();
        const timer = setTimeout(done, 30_000);
        function done() {
          clearTimeout(timer);
          waiters.delete(requestId);
          resolve();
        }
        waiters.set(requestId, done);
      });
    const unsubscribe = stack.firestore
      .collection('workspaces')
      .doc(DEMO_WORKSPACE_ID)
      .collection('event_log')
      .onSnapshot((snap) => {
        const now = performance.now();
        for (const change of snap.docChanges()) {
          const requestId = change.doc.get('request_id') as string | null;
          if (!requestId || change.doc.get('type') !== 'messaging.message.received') continue;
          // The entry may be created by a consumer's outcome report before the log writer adds its fields.
          if (change.doc.get('kind')) note(requestId, 'loggedAt', now);
          if (change.doc.get('status') === 'success') note(requestId, 'successAt', now);
        }
      });

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
      Object.assign(timing, early.get(body.request_id));
      early.delete(body.request_id);
      byRequest.set(body.request_id, timing);
      await logged(body.request_id);
    };

    console.log(`warming up (${WARMUP} sends)…`);
    for (let i = 0; i < WARMUP; i++) await send(false);

    const echo = await firestoreEcho(stack, 50);

    console.log(`sending up to ${SENDS} webhooks, ${CONCURRENCY} senders each waiting for its log entry, for at most ${MAX_S} s…`);
    const stopAt = performance.now() + MAX_S * 1000;
    let measured = 0;
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
    while ([...byRequest.values()].some((t) => t.successAt === undefined) && performance.now() < drainUntil) {
      await new Promise((r) => setTimeout(r, 100));
    }
    unsubscribe();

    const timings = [...byRequest.values()];
    const post = stats(timings.map((t) => t.answeredAt! - t.sentAt));
    const toLog = stats(timings.filter((t) => t.loggedAt !== undefined).map((t) => t.loggedAt! - t.sentAt));
    const success = stats(timings.filter((t) => t.successAt !== undefined).map((t) => t.successAt! - t.sentAt));
    const fsEcho = stats(echo);
    const lost = timings.filter((t) => t.successAt === undefined).length;

    console.log(`\nlatency from POST, ${timings.length} sends over the 5 platforms, ${CONCURRENCY} closed-loop senders (ms)\n`);
    console.log(
      table([
        ['measure', 'n', 'p50', 'p99'],
        ['floor: Firestore echo (write → listener)', String(fsEcho.n), fmt(fsEcho.p50), fmt(fsEcho.p99)],
        ['floor: webhook POST answered', String(post.n), fmt(post.p50), fmt(post.p99)],
        ['POST → event log entry', String(toLog.n), fmt(toLog.p50), fmt(toLog.p99)],
        ['POST → entry status success', String(success.n), fmt(success.p50), fmt(success.p99)],
      ]),
    );
    console.log(
      `\nPOST → log entry is ${fmt(toLog.p50 / post.p50)}× the POST alone at p50; ` +
        `${lost ? `${lost} send(s) not at success within 30 s of the last send` : 'every send reached success'}.`,
    );
    if (lost) process.exitCode = 1;
  } finally {
    await stack.stop();
  }
}

if (require.main === module) {
  run().catch((err) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  });
}
