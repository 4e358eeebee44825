/**
 * Bench part "normalizer": envelopes per second on one core through the
 * normalizer's pure path (parse, split, route with a static router, map, ids,
 * validate, serialize) on a realistic mix of the project's own fixtures,
 * next to a floor of JSON.parse + JSON.stringify of the same bytes, measured
 * in the same run, on the same Buffers. Both sides are warmed up, then run in
 * pairs; reports the median of each side and the median of the paired ratios
 * ours / floor (pairing keeps a busy machine from skewing the ratio).
 *
 *   tsx scripts/bench/normalizer.ts      (or: npm run bench -- normalizer)
 */
import { performance } from 'node:perf_hooks';
import { compileAllValidators } from '../../shared/envelope';
import { normalize } from '../../shared/normalize/normalize';
import { staticRouter } from '../../shared/normalize/router';
import type { Platform } from '../../shared/platforms';
import { instagram } from '../../test/fixtures/normalize/instagram';
import { lineBodies } from '../../test/fixtures/normalize/line';
import { messenger } from '../../test/fixtures/normalize/messenger';
import { telegramBodies } from '../../test/fixtures/normalize/telegram';
import { whatsapp } from '../../test/fixtures/normalize/whatsapp';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const router = staticRouter({ workspaceId: 'ws_bench', blockId: 'blk_bench' });

/** Mostly inbound text and statuses, as production traffic is; every kind appears. */
function mix(): Array<{ platform: Platform; body: Buffer }> {
  const weighted: Array<[Platform, unknown, number]> = [
    ['whatsapp', whatsapp.text, 8], ['whatsapp', whatsapp.statuses, 6], ['whatsapp', whatsapp.media, 1], ['whatsapp', whatsapp.reaction, 1],
    ['whatsapp', whatsapp.buttonReply, 1], ['whatsapp', whatsapp.order, 1],
    ['instagram', instagram.text, 6], ['instagram', instagram.attachments, 1], ['instagram', instagram.comment, 2], ['instagram', instagram.storyReply, 1],
    ['messenger', messenger.text, 5], ['messenger', messenger.batch, 2], ['messenger', messenger.delivery, 2], ['messenger', messenger.reactions, 1], ['messenger', messenger.postback, 1],
    ['line', lineBodies.text, 4], ['line', lineBodies.media, 1], ['line', lineBodies.followUnfollow, 1], ['line', lineBodies.postback, 1],
    ['telegram', telegramBodies.text, 4], ['telegram', telegramBodies.callback, 1], ['telegram', telegramBodies.reactionChanged, 1], ['telegram', telegramBodies.photo, 1],
  ];
  return weighted.flatMap(([platform, body, n]) => Array.from({ length: n }, () => ({ platform, body: Buffer.from(JSON.stringify(body)) })));
}

type Mix = ReturnType<typeof mix>;
const RECEIVED_AT = '2024-03-31T10:15:31.000Z';

/** Ours: everything the normalizer does to a raw message, ending with the bytes it publishes. */
async function oursOnce(items: Mix, rounds: number): Promise<{ envelopes: number; ms: number }> {
  let envelopes = 0;
  let bytes = 0;
  const start = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const { platform, body } of items) {
      const result = await normalize({ platform, kind: 'webhook', body, receivedAt: RECEIVED_AT, requestId: 'bench' }, router);
      for (const e of result.envelopes) bytes += JSON.stringify(e).length;
      envelopes += result.envelopes.length;
    }
  }
  const ms = performance.now() - start;
  if (bytes < 0) console.log(bytes); // keeps the serialization observable
  return { envelopes, ms };
}

/** The floor: the least any normalizer must do with the same bytes (decode, parse, serialize). */
function floorOnce(items: Mix, rounds: number): number {
  let sink = 0;
  const start = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const { body } of items) sink += JSON.stringify(JSON.parse(body.toString('utf8'))).length;
  }
  const ms = performance.now() - start;
  if (sink < 0) console.log(sink); // keeps the work observable
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

export async function run(): Promise<void> {
  const items = mix();
  compileAllValidators();
  // Warm-up on the whole mix, both sides, so neither is measured while the JIT is still compiling it.
  for (let i = 0; i < 3; i++) {
    await oursOnce(items, Math.ceil(ROUNDS / 4));
    floorOnce(items, Math.ceil(ROUNDS / 4));
  }
  const ours: number[] = [];
  const floor: number[] = [];
  const ratios: number[] = [];
  let perRound = 0;
  for (let i = 0; i < RUNS; i++) {
    // Alternate which side runs first, and pair each run of ours with a floor run right next to it,
    // so drifting machine load affects both sides of a ratio alike.
    const floorFirst = i % 2 === 1;
    const floorMsBefore = floorFirst ? floorOnce(items, ROUNDS) : 0;
    const o = await oursOnce(items, ROUNDS);
    const floorMs = floorFirst ? floorMsBefore : floorOnce(items, ROUNDS);
    perRound = o.envelopes / ROUNDS;
    // Both sides are counted per envelope: the floor handled the same bodies, which hold that many envelopes.
    const oursRate = o.envelopes / (o.ms / 1000);
    const floorRate = o.envelopes / (floorMs / 1000);
    ours.push(oursRate);
    floor.push(floorRate);
    ratios.push(oursRate / floorRate);
  }
  const ratio = median(ratios);
  console.log(`normalizer: ${items.length} bodies → ${perRound} envelopes per round, ${ROUNDS} rounds per run, median of ${RUNS} runs, one core`);
  console.table([
    { path: 'normalize (parse, split, map, ids, validate, serialize)', 'envelopes/s': Math.round(median(ours)) },
    { path: 'floor: JSON.parse + JSON.stringify of the same bytes', 'envelopes/s': Math.round(median(floor)) },
  ]);
  console.log(`ratio ours/floor (median of paired runs): ${ratio.toFixed(2)} (target ≥ 0.33) ${ratio >= 1 / 3 ? 'OK' : 'BELOW TARGET'}`);
}

if (require.main === module) {
  run().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
