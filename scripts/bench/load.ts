/**
 * Open-loop load bench (`npm run bench -- load`): signed webhooks at a fixed
 * rate for a fixed time, sent on schedule whatever the answers, stepping the
 * rate up until a step no longer drains. For each step: the offered rate, the
 * answers, whether every accepted request's event reached status `success`
 * within the drain bound (nothing lost), receive → success, and where the backlog
 * builds: the entry age (`age_ms`, from the edge's receive time) each stage
 * logs, per stage and subscription. A stage whose age grows over the step while
 * the stage before it stays flat is where messages wait.
 *
 * Then the noisy neighbour, on an idle stack: one signed 5,000-item Messenger
 * body for a second workspace, and one event of the demo workspace posted
 * right after the big body's answer, then (second case) only once the
 * normalizer has published the big body's envelopes, so the event is behind
 * all of them on `events`; against that event alone.
 *
 * Knobs: BENCH_LOAD_RATES (default "2,5,7,10,15,20,30,40" webhooks/s), BENCH_LOAD_STEP_S
 * (20), BENCH_LOAD_DRAIN_S (60: the bound for "nothing lost"), BENCH_LOAD_KEEP_UP_S
 * (2: a step drained within this after its last send left no backlog, so its
 * rate is sustained), BENCH_LOAD_BIG (5000 items, 0 skips the neighbour),
 * BENCH_LOAD_NEIGHBOUR_MAX_S (600).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Firestore } from '@google-cloud/firestore';
import { blockSecretsDatabase, saveBlock } from '../../shared/contracts/blocks';
import type { Platform } from '../../shared/platforms';
import { OTHER_BLOCK, OTHER_PAGE, DEMO_PAGE } from '../lib/chaos/stack';
import { messengerBody } from '../lib/chaos/traffic';
import { DEMO_WORKSPACE_ID } from '../lib/demo';
import { freePort } from '../lib/emulators';
import { sampleRequest, signedHeaders } from '../lib/samples';
import { startStack, type Stack } from '../lib/stack';
import { eventLogPoll, sleep } from './event-log-poll';
import { fmt, quantile, table } from './stats';

// Off GCP: keeps the Google clients in this process from probing the metadata server.
process.env.METADATA_SERVER_DETECTION ??= 'none';
const RATES = (process.env.BENCH_LOAD_RATES ?? '2,5,7,10,15,20,30,40').split(',').map(Number);
const STEP_S = Number(process.env.BENCH_LOAD_STEP_S ?? 20);
const DRAIN_S = Number(process.env.BENCH_LOAD_DRAIN_S ?? 60);
const BIG = Number(process.env.BENCH_LOAD_BIG ?? 5000);
const KEEP_UP_S = Number(process.env.BENCH_LOAD_KEEP_UP_S ?? 2);
const NEIGHBOUR_MAX_S = Number(process.env.BENCH_LOAD_NEIGHBOUR_MAX_S ?? 600);
const PLATFORMS: Platform[] = ['messenger', 'instagram', 'whatsapp', 'line', 'telegram'];

/** One `age_ms` line of a stage: which stage (function, and subscription for the event log), when, how old. */
interface Age {
  stage: string;
  at: number;
  ageMs: number;
  /** The normalizer's lines: envelopes published from the raw message. */
  envelopes?: number;
}

/** The stage a log line with `age_ms` belongs to, or undefined for other lines. */
function stageOf(fn: string, line: string): { stage: string; ageMs: number; successAgeMs?: number; envelopes?: number } | undefined {
  if (!line.includes('"age_ms"')) return undefined;
  try {
    const entry = JSON.parse(line) as { age_ms?: number; success_age_ms?: number; subscription?: string; envelopes?: number };
    if (typeof entry.age_ms !== 'number') return undefined;
    const sub = entry.subscription ? String(entry.subscription).split('/').pop() : undefined;
    return { stage: sub ? `${fn} (${sub})` : fn, ageMs: entry.age_ms, successAgeMs: entry.success_age_ms, envelopes: entry.envelopes };
  } catch {
    return undefined;
  }
}

interface Send {
  sentAt: number;
  answeredAt?: number;
  status?: number;
  requestId?: string;
}

interface StepResult {
  rate: number;
  sent: number;
  offered: number;
  accepted: number;
  refused: number;
  reached: number;
  drainS: number;
  /** Receive → success of every event (derived ones too) from the consumers' lines. */
  logP50: number;
  logP99: number;
  ages: Map<string, { p50: number; max: number; firstHalf: number; secondHalf: number }>;
}

export async function run(): Promise<void> {
  console.log('starting the local stack (emulators + every function)…');
  const ages: Age[] = [];
  const successAges: number[] = [];
  let onAge = () => {};
  const stack: Stack = await startStack({
    projectId: 'convotic-bench-load',
    pubsubPort: await freePort(),
    firestorePort: await freePort(),
    functionsPort: 'free',
    logDir: mkdtempSync(path.join(os.tmpdir(), 'convotic-bench-load-')),
    // Info, as in production: the stages' `age_ms` lines are info lines.
    functionEnv: { LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
    onLine: (name, line) => {
      const s = stageOf(name, line);
      if (s) {
        ages.push({ stage: s.stage, at: performance.now(), ageMs: s.ageMs, envelopes: s.envelopes });
        onAge();
      }
      // The report that made an event `success` logs its age: receive → success without the listener's lag.
      if (s?.successAgeMs !== undefined) successAges.push(s.successAgeMs);
      else if (line.includes('"ERROR"') || line.includes('"CRITICAL"')) console.log(`  [${name}] ${line.slice(0, 300)}`);
    },
    onNotice: (m) => console.log(`  ${m}`),
  });
  try {
    if (stack.skipped.length || stack.failed.length) {
      throw new Error(`the stack is incomplete: ${[...stack.skipped, ...stack.failed].map((f) => `${f.name}: ${f.reason}`).join('; ')}`);
    }
    const secrets = new Firestore({
      projectId: stack.projectId,
      host: stack.firestoreHost,
      ssl: false,
      databaseId: blockSecretsDatabase(),
    });
    await saveBlock({ registry: stack.firestore, secrets }, OTHER_BLOCK);
    await secrets.terminate();

    // Polled with queries rather than a snapshot listener: under load the emulator's listener lagged by seconds.
    const { successAt, poll } = eventLogPoll(stack.firestore, DEMO_WORKSPACE_ID);

    let n = 0;
    const send = async (): Promise<Send> => {
      const platform = PLATFORMS[n++ % PLATFORMS.length]!;
      // LINE's and Telegram's secrets were made when the seed connected their Blocks through the blocks API.
      const secret = platform === 'telegram' || platform === 'line' ? stack.seed?.secrets[platform] : undefined;
      const request = sampleRequest(platform, 'text', { secret });
      const out: Send = { sentAt: performance.now() };
      try {
        const res = await fetch(`${stack.functions[`webhook-${platform}`]!.url}/`, {
          method: 'POST',
          headers: request.headers,
          body: new Uint8Array(request.body),
        });
        out.status = res.status;
        out.requestId = ((await res.json()) as { request_id?: string }).request_id;
      } catch {
        out.status = 0;
      }
      return out;
    };
    const waitFor = async (ids: string[], boundMs: number): Promise<void> => {
      const until = performance.now() + boundMs;
      for (;;) {
        await poll(ids);
        if (ids.every((id) => successAt.has(id)) || performance.now() > until) return;
        await sleep(ids.length > 30 ? 500 : 50);
      }
    };

    console.log('warming up (20 sends, one at a time)…');
    for (let i = 0; i < 20; i++) {
      const s = await send();
      if (s.requestId) await waitFor([s.requestId], 30_000);
    }

    const results: StepResult[] = [];
    let lastAccepted: string[] = [];
    for (const rate of RATES) {
      console.log(`\nrate ${rate}/s for ${STEP_S} s, open loop…`);
      ages.length = 0;
      successAges.length = 0;
      const start = performance.now();
      const pending: Array<Promise<Send>> = [];
      const total = Math.round(rate * STEP_S);
      for (let i = 0; i < total; i++) {
        // On schedule: the i-th send at start + i / rate, whatever the earlier answers.
        const due = start + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        pending.push(send());
      }
      const lastSent = performance.now();
      const sends = await Promise.all(pending);
      const accepted = sends.filter((s) => s.status === 200 && s.requestId);
      lastAccepted = accepted.map((s) => s.requestId!);
      await waitFor(
        accepted.map((s) => s.requestId!),
        DRAIN_S * 1000,
      );
      const reachedSends = accepted.filter((s) => successAt.has(s.requestId!));
      const lastSuccess = Math.max(...reachedSends.map((s) => successAt.get(s.requestId!)!));
      const mid = start + (lastSent - start) / 2;
      const byStage = new Map<string, Age[]>();
      for (const a of ages) byStage.set(a.stage, [...(byStage.get(a.stage) ?? []), a]);
      const stageAges = new Map<string, { p50: number; max: number; firstHalf: number; secondHalf: number }>();
      for (const [stage, list] of [...byStage].sort(([a], [b]) => a.localeCompare(b))) {
        const all = list.map((a) => a.ageMs).sort((a, b) => a - b);
        const half = (pred: (a: Age) => boolean) =>
          quantile(
            list
              .filter(pred)
              .map((a) => a.ageMs)
              .sort((a, b) => a - b),
            0.5,
          );
        stageAges.set(stage, {
          p50: quantile(all, 0.5),
          max: all[all.length - 1]!,
          firstHalf: half((a) => a.at < mid),
          secondHalf: half((a) => a.at >= mid && a.at <= lastSent),
        });
      }
      const result: StepResult = {
        rate,
        sent: sends.length,
        offered: sends.length / ((lastSent - start) / 1000 + 1 / rate),
        accepted: accepted.length,
        refused: sends.length - accepted.length,
        reached: reachedSends.length,
        drainS: reachedSends.length ? (lastSuccess - lastSent) / 1000 : NaN,
        logP50: quantile(
          [...successAges].sort((a, b) => a - b),
          0.5,
        ),
        logP99: quantile(
          [...successAges].sort((a, b) => a - b),
          0.99,
        ),
        ages: stageAges,
      };
      results.push(result);
      console.log(
        `  offered ${fmt(result.offered, 1)}/s, accepted ${result.accepted}/${result.sent}, at success ${result.reached}` +
          ` (${result.accepted - result.reached} not within ${DRAIN_S} s), drained ${fmt(result.drainS, 1)} s after the last send, ` +
          `receive → success p50 ${fmt(result.logP50)} ms p99 ${fmt(result.logP99)} ms (consumers' success_age_ms, derived events too)`,
      );
      console.log(
        table([
          ['stage (subscription): entry age at the stage, ms', 'p50', 'max', '1st half p50', '2nd half p50'],
          ...[...stageAges].map(([stage, a]) => [stage, fmt(a.p50), fmt(a.max), fmt(a.firstHalf), fmt(a.secondHalf)]),
        ]),
      );
      if (result.reached < result.accepted || result.refused) break;
    }

    console.log(`\nopen-loop load: ${STEP_S} s per step, drain bound ${DRAIN_S} s\n`);
    console.log(
      table([
        ['offered/s', 'sent', 'accepted', 'at success', 'not in bound', 'drain s', 'success p50 ms', 'p99 ms'],
        ...results.map((r) => [
          fmt(r.offered, 1),
          String(r.sent),
          String(r.accepted),
          String(r.reached),
          String(r.accepted - r.reached),
          fmt(r.drainS, 1),
          fmt(r.logP50),
          fmt(r.logP99),
        ]),
      ]),
    );
    // What the bound cut off: late, or lost? The last step's accepted requests, waited for without the bound.
    const last = results[results.length - 1];
    if (last && last.reached < last.accepted) {
      const from = performance.now();
      await waitFor(lastAccepted, NEIGHBOUR_MAX_S * 1000);
      const late = lastAccepted.filter((id) => successAt.has(id)).length;
      console.log(
        `\nthe last step's ${lastAccepted.length} accepted requests: ${late} at success ${fmt((performance.now() - from) / 1000, 1)} s after the bound` +
          `${late < lastAccepted.length ? `, ${lastAccepted.length - late} not within ${NEIGHBOUR_MAX_S} s more` : ' (late, none lost)'}`,
      );
    }
    const held = results.filter((r) => r.reached === r.accepted && r.refused === 0);
    // Kept up: drained within KEEP_UP_S of the last send, so no backlog carried over (a burst can drain later and still lose nothing).
    const keptUp = held.filter((r) => r.drainS <= KEEP_UP_S);
    console.log(
      `\nnothing lost (every accepted request at success within ${DRAIN_S} s of the step's last send) up to: ` +
        `${held.length ? `${held[held.length - 1]!.rate} webhooks/s` : 'no step'}; ` +
        `sustained (and drained within ${KEEP_UP_S} s, no backlog left): ${keptUp.length ? `${keptUp[keptUp.length - 1]!.rate} webhooks/s` : 'no step'}`,
    );

    if (BIG > 0) {
      console.log(`\nnoisy neighbour: one ${BIG}-item Messenger body for another workspace, next to one event of the demo workspace`);
      const url = `${stack.functions['webhook-messenger']!.url}/`;
      const postBody = async (body: Buffer): Promise<Send> => {
        const out: Send = { sentAt: performance.now() };
        const res = await fetch(url, { method: 'POST', headers: signedHeaders('messenger', body), body: new Uint8Array(body) });
        out.status = res.status;
        out.requestId = ((await res.json()) as { request_id?: string }).request_id;
        out.answeredAt = performance.now();
        return out;
      };
      const small = (tag: string) =>
        messengerBody(DEMO_PAGE, [{ sender: `2900000000${tag}`, mid: `m_nb_${tag}_${Date.now()}`, text: 'hello' }]);
      // Idle means no stage has logged for 6 s (longer than the 5 s minimum retry backoff).
      let lastLine = performance.now();
      const quiet = async (what: string) => {
        const from = performance.now();
        while (performance.now() - lastLine < 6000 && performance.now() - from < NEIGHBOUR_MAX_S * 1000) await sleep(200);
        console.log(`  ${what}: quiet after ${fmt((performance.now() - from) / 1000, 1)} s`);
      };
      onAge = () => (lastLine = performance.now());
      await quiet('waiting for the stack to be idle');
      const idle: number[] = [];
      for (let i = 0; i < 5; i++) {
        const s = await postBody(small(`1${i}`));
        await waitFor([s.requestId!], 30_000);
        if (successAt.has(s.requestId!)) idle.push(successAt.get(s.requestId!)! - s.sentAt);
      }
      idle.sort((a, b) => a - b);
      console.log(`  idle: POST → success p50 ${fmt(quantile(idle, 0.5))} ms, max ${fmt(idle[idle.length - 1]!)} ms (5 sends)`);

      const cases: Array<[string, (bigAnswer: Send) => Promise<void>]> = [
        ['the neighbour posted right after the big body was answered', async () => {}],
        [
          "the neighbour posted once the normalizer had published the big body's envelopes",
          async () => {
            const until = performance.now() + NEIGHBOUR_MAX_S * 1000;
            while (!ages.some((a) => a.stage === 'normalizer' && (a.envelopes ?? 0) >= BIG) && performance.now() < until) await sleep(20);
          },
        ],
      ];
      for (const [label, before] of cases) {
        ages.length = 0;
        const big = messengerBody(
          OTHER_PAGE,
          Array.from({ length: BIG }, (_, i) => ({ sender: `2800000000${i % 50}`, mid: `m_big_${Date.now()}_${i}`, text: `hi ${i}` })),
        );
        const bigAnswer = await postBody(big);
        await before(bigAnswer);
        const neighbour = await postBody(small(`2${cases.findIndex(([l]) => l === label)}`));
        await waitFor([neighbour.requestId!], NEIGHBOUR_MAX_S * 1000);
        const delay = successAt.has(neighbour.requestId!) ? successAt.get(neighbour.requestId!)! - neighbour.sentAt : NaN;
        const bigNormalized = ages.find((a) => a.stage === 'normalizer' && (a.envelopes ?? 0) >= BIG);
        console.log(
          `  ${label}: POST → success ${Number.isFinite(delay) ? `${fmt(delay)} ms` : `not within ${NEIGHBOUR_MAX_S} s`}` +
            ` (big body ${Math.round(big.length / 1024)} KiB, answered ${bigAnswer.status} in ${fmt(bigAnswer.answeredAt! - bigAnswer.sentAt)} ms;` +
            ` the normalizer logged it ${bigNormalized ? `${fmt(bigNormalized.ageMs)} ms after its receipt` : 'after the neighbour was at success'})`,
        );
        console.log(
          table([
            ['stage (subscription): entry ages while the neighbour waited, ms', 'n', 'p50', 'max'],
            ...[...new Set(ages.map((a) => a.stage))].sort().map((stage) => {
              const list = ages
                .filter((a) => a.stage === stage)
                .map((a) => a.ageMs)
                .sort((a, b) => a - b);
              return [stage, String(list.length), fmt(quantile(list, 0.5)), fmt(list[list.length - 1]!)];
            }),
          ]),
        );
        // The next case needs the stack idle again; after the last one the stack is stopped anyway.
        if (label !== cases[cases.length - 1]![0]) await quiet("waiting for the big body's envelopes to drain");
      }
    }
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
