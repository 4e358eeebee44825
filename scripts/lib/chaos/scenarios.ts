/**
 * The scenarios of `npm run chaos`. Each sends signed Messenger webhooks while
 * something breaks, then waits for the pipeline to settle, runs
 * reconciliation (as the scheduler would, with no minimum age), waits again,
 * and counts (ledger.ts): sent, answered 200, reached the log, lost (answered
 * 200 and not in the log), duplicated, and what reconciliation replayed.
 */
import { DEMO_WORKSPACE_ID } from '../demo';
import { runReconciliation } from '../reconcile-cli';
import { hostileRequests } from './hostile';
import type { Ledger } from './ledger';
import { DEMO_PAGE, OTHER_PAGE, type ChaosStack } from './stack';
import { bounded, messengerBody, post, type Sent } from './traffic';

export interface ChaosOptions {
  /** Messages per fault scenario. */
  messages: number;
  /** Seconds each fault lasts. */
  stallSeconds: number;
  /** Identical deliveries in the redelivery storm. */
  storm: number;
  /** Items of the big batch. */
  bigBatch: number;
  /** Random signed objects in the hostile set. */
  randomHostile: number;
  /** How long to wait for the log to settle, before and after reconciliation. */
  settleSeconds: number;
  seed: number;
  /** Run reconciliation after each scenario (off: shows what the pipeline loses without it). */
  reconcile: boolean;
}

export interface Row {
  scenario: string;
  sent: number;
  ok: number;
  reached: number;
  lost: number;
  duplicated: number;
  /** Bodies the reconciliation run found missing entries of and replayed. */
  reconciled: number;
  seconds: number;
  notes: string[];
}

export interface Context {
  chaos: ChaosStack;
  ledger: Ledger;
  options: ChaosOptions;
  log: (line: string) => void;
}

interface Traffic {
  sent: Sent[];
  notes?: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until every acknowledged body reached the log, or no entry was
 * written for a third of the budget (what is missing then will not come by
 * itself); returns how many bodies reached it.
 */
async function settle(ledger: Ledger, acknowledged: Sent[], seconds: number): Promise<number> {
  const deadline = Date.now() + seconds * 1000;
  let last = -1;
  let quietSince = Date.now();
  for (;;) {
    const progress = await Promise.all(acknowledged.map((s) => ledger.progress(s.body)));
    const reached = progress.filter((p) => p.done === p.total).length;
    const entries = progress.reduce((n, p) => n + p.done, 0);
    if (reached === acknowledged.length || Date.now() > deadline) return reached;
    if (entries !== last) [last, quietSince] = [entries, Date.now()];
    if (Date.now() - quietSince > (seconds * 1000) / 3) return reached;
    await sleep(1000);
  }
}

async function measure(ctx: Context, name: string, traffic: () => Promise<Traffic>): Promise<Row> {
  const started = Date.now();
  ctx.log(`${name}: sending`);
  const { sent, notes = [] } = await traffic();
  const acknowledged = sent.filter((s) => s.status === 200);
  const fivexx = sent.filter((s) => s.status >= 500).length;
  if (fivexx) notes.push(`${fivexx} answered 5xx (not acknowledged: the platform retries)`);
  ctx.log(`${name}: ${acknowledged.length}/${sent.length} answered 200; waiting for the log`);
  const before = await settle(ctx.ledger, acknowledged, ctx.options.settleSeconds);
  const found = ctx.options.reconcile
    ? (await runReconciliation(ctx.chaos.stack.functions['events-api']!.url, { minAgeSeconds: 0 })).found
    : 0;
  ctx.log(`${name}: ${before}/${acknowledged.length} in the log before reconciliation; it replayed ${found}`);
  const reached =
    ctx.options.reconcile && before < acknowledged.length ? await settle(ctx.ledger, acknowledged, ctx.options.settleSeconds) : before;
  const duplicated = await ctx.ledger.duplicated(
    acknowledged.map((s) => s.body),
    (ws) => (ws === DEMO_WORKSPACE_ID ? 1 : 0),
  );
  if (before < acknowledged.length)
    notes.push(
      ctx.options.reconcile
        ? `${acknowledged.length - before} not in the log after the first wait; reconciliation replayed ${found} bodies`
        : `${acknowledged.length - before} not in the log, and reconciliation is off (--no-reconcile)`,
    );
  return {
    scenario: name,
    sent: sent.length,
    ok: acknowledged.length,
    reached,
    lost: acknowledged.length - reached,
    duplicated,
    reconciled: found,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    notes,
  };
}

/** A unique numeric sender per scenario and run, so each scenario's contacts are its own. */
const senderOf = (options: ChaosOptions, scenario: number, i = 0) =>
  `61${scenario}${String(options.seed).slice(-6).padStart(6, '0')}${String(i).padStart(5, '0')}`;

/** `messages` single-message bodies, sent 4 at a time, with `fault` started after the first third. */
function underFault(ctx: Context, index: number, fault: () => Promise<void>): () => Promise<Traffic> {
  return async () => {
    const url = `${ctx.chaos.stack.functions['webhook-messenger']!.url}/`;
    const sender = senderOf(ctx.options, index);
    const bodies = Array.from({ length: ctx.options.messages }, (_, i) =>
      messengerBody(DEMO_PAGE, [{ sender, mid: `m_chaos_${ctx.options.seed}_${index}_${i}`, text: `price question ${i}` }]),
    );
    const third = Math.max(1, Math.floor(bodies.length / 3));
    const first = await bounded(
      bodies.slice(0, third).map((b) => () => post(url, b)),
      4,
    );
    const broken = fault();
    const rest = await bounded(
      bodies.slice(third).map((b) => () => post(url, b)),
      4,
    );
    await broken;
    return { sent: [...first, ...rest] };
  };
}

export const SCENARIOS: Record<string, (ctx: Context) => Promise<Row>> = {
  'firestore-stall': (ctx) =>
    measure(
      ctx,
      `Firestore stalled ${ctx.options.stallSeconds} s`,
      underFault(ctx, 1, () => ctx.chaos.stall(ctx.chaos.firestore, ctx.options.stallSeconds)),
    ),
  'pubsub-stall': (ctx) =>
    measure(
      ctx,
      `Pub/Sub stalled ${ctx.options.stallSeconds} s`,
      underFault(ctx, 2, () => ctx.chaos.stall(ctx.chaos.pubsub, ctx.options.stallSeconds)),
    ),
  'normalizer-killed': (ctx) =>
    measure(
      ctx,
      `normalizer killed, down ${ctx.options.stallSeconds} s`,
      underFault(ctx, 3, () => ctx.chaos.normalizerDown(ctx.options.stallSeconds)),
    ),
  'redelivery-storm': (ctx) =>
    measure(ctx, `same bytes ${ctx.options.storm}x at once`, async () => {
      const url = `${ctx.chaos.stack.functions['webhook-messenger']!.url}/`;
      const body = messengerBody(DEMO_PAGE, [
        { sender: senderOf(ctx.options, 4), mid: `m_chaos_${ctx.options.seed}_storm`, text: 'price?' },
      ]);
      return { sent: await Promise.all(Array.from({ length: ctx.options.storm }, () => post(url, body))) };
    }),
  hostile: (ctx) =>
    measure(ctx, 'hostile payloads', async () => {
      const url = `${ctx.chaos.stack.functions['webhook-messenger']!.url}/`;
      const requests = hostileRequests(DEMO_PAGE, senderOf(ctx.options, 5), ctx.options.seed, ctx.options.randomHostile);
      return {
        sent: await bounded(
          requests.map((r) => () => post(url, r.body, r.headers)),
          4,
        ),
      };
    }),
  'big-batch': (ctx) =>
    measure(ctx, `${ctx.options.bigBatch}-item body + 1 of another workspace`, async () => {
      const url = `${ctx.chaos.stack.functions['webhook-messenger']!.url}/`;
      const seed = ctx.options.seed;
      // Fifty people write to the other workspace's page at once (it has no Workflows); one to the demo page.
      const big = messengerBody(
        OTHER_PAGE,
        Array.from({ length: ctx.options.bigBatch }, (_, i) => ({
          sender: senderOf(ctx.options, 6, i % 50),
          mid: `m_b${seed}_${i}`,
          text: `hi ${i}`,
        })),
      );
      const small = messengerBody(DEMO_PAGE, [{ sender: senderOf(ctx.options, 7), mid: `m_s${seed}`, text: 'price of the big one?' }]);
      const sent = await Promise.all([post(url, big), post(url, small)]);
      return { sent, notes: [`the big body is ${Math.round(big.length / 1024)} KiB`] };
    }),
};
