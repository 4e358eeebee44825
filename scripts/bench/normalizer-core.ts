/**
 * The measured side of bench part "normalizer" (see normalizer.ts, which
 * bundles this file with esbuild, as production bundles the normalizer, and
 * runs it). Everything here runs on one core: the normalizer's pure path
 * (parse, split, route with a static router, map, ids, validate, serialize)
 * on a realistic mix of the project's own fixtures, and two floors on the
 * same Buffers in the same run.
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
import { median } from './stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const router = staticRouter({ workspaceId: 'ws_bench', blockId: 'blk_bench' });
const RECEIVED_FROM = Date.parse('2024-03-31T10:15:31.000Z');

/**
 * Mostly inbound text and statuses, as production traffic is; every kind
 * appears. Each body is its own request, received at its own time, as in
 * production: nothing per request is shared across bodies.
 */
function mix(): Array<{ platform: Platform; body: Buffer; receivedAt: string; requestId: string }> {
  const weighted: Array<[Platform, unknown, number]> = [
    ['whatsapp', whatsapp.text, 8],
    ['whatsapp', whatsapp.statuses, 6],
    ['whatsapp', whatsapp.media, 1],
    ['whatsapp', whatsapp.reaction, 1],
    ['whatsapp', whatsapp.buttonReply, 1],
    ['whatsapp', whatsapp.order, 1],
    ['instagram', instagram.text, 6],
    ['instagram', instagram.attachments, 1],
    ['instagram', instagram.comment, 2],
    ['instagram', instagram.storyReply, 1],
    ['messenger', messenger.text, 5],
    ['messenger', messenger.batch, 2],
    ['messenger', messenger.delivery, 2],
    ['messenger', messenger.reactions, 1],
    ['messenger', messenger.postback, 1],
    ['line', lineBodies.text, 4],
    ['line', lineBodies.media, 1],
    ['line', lineBodies.followUnfollow, 1],
    ['line', lineBodies.postback, 1],
    ['telegram', telegramBodies.text, 4],
    ['telegram', telegramBodies.callback, 1],
    ['telegram', telegramBodies.reactionChanged, 1],
    ['telegram', telegramBodies.photo, 1],
  ];
  const bodies = weighted.flatMap(([platform, body, n]) =>
    Array.from({ length: n }, () => ({ platform, body: Buffer.from(JSON.stringify(body)) })),
  );
  return bodies.map((b, i) => ({ ...b, receivedAt: new Date(RECEIVED_FROM + i * 1_007).toISOString(), requestId: `bench-${i}` }));
}

type Mix = ReturnType<typeof mix>;

/** Ours: everything the normalizer does to a raw message, ending with the bytes it publishes. */
async function oursOnce(items: Mix, rounds: number): Promise<{ envelopes: number; ms: number }> {
  let envelopes = 0;
  let bytes = 0;
  const start = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const { platform, body, receivedAt, requestId } of items) {
      const result = await normalize({ platform, kind: 'webhook', body, receivedAt, requestId }, router);
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

/** The second floor: what any normalizer emitting these same envelopes must do (parse the input, serialize the output). */
function outputFloorOnce(items: Mix, outputs: object[][], rounds: number): number {
  let sink = 0;
  const start = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < items.length; i++) {
      if (JSON.parse((items[i] as Mix[number]).body.toString('utf8')) === null) sink++;
      for (const e of outputs[i] as object[]) sink += JSON.stringify(e).length;
    }
  }
  const ms = performance.now() - start;
  if (sink < 0) console.log(sink);
  return ms;
}

export interface NormalizerBenchResult {
  bodies: number;
  envelopesPerRound: number;
  inputBytes: number;
  outputBytes: number;
  runs: number;
  rounds: number;
  /** Medians, envelopes per second. */
  ours: number;
  floor: number;
  outputFloor: number;
  /** Medians of the paired ratios ours / floor. */
  ratio: number;
  outputRatio: number;
}

export async function measure(): Promise<NormalizerBenchResult> {
  const items = mix();
  compileAllValidators();
  const outputs: object[][] = [];
  for (const { platform, body, receivedAt, requestId } of items) {
    outputs.push((await normalize({ platform, kind: 'webhook', body, receivedAt, requestId }, router)).envelopes);
  }
  // Warm-up on the whole mix, every side, so none is measured while the JIT is still compiling it.
  for (let i = 0; i < 3; i++) {
    await oursOnce(items, Math.ceil(ROUNDS / 4));
    floorOnce(items, Math.ceil(ROUNDS / 4));
    outputFloorOnce(items, outputs, Math.ceil(ROUNDS / 4));
  }
  const ours: number[] = [];
  const floor: number[] = [];
  const outputFloor: number[] = [];
  const ratios: number[] = [];
  const outputRatios: number[] = [];
  let perRound = 0;
  for (let i = 0; i < RUNS; i++) {
    // Alternate which side runs first, and pair each run of ours with floor runs right next to it,
    // so drifting machine load affects both sides of a ratio alike.
    const floorFirst = i % 2 === 1;
    const before = floorFirst ? [floorOnce(items, ROUNDS), outputFloorOnce(items, outputs, ROUNDS)] : undefined;
    const o = await oursOnce(items, ROUNDS);
    const [floorMs, outputFloorMs] = before ?? [floorOnce(items, ROUNDS), outputFloorOnce(items, outputs, ROUNDS)];
    perRound = o.envelopes / ROUNDS;
    // Every side is counted per envelope: the floors handled the same bodies, which hold that many envelopes.
    const rate = (ms: number) => o.envelopes / (ms / 1000);
    ours.push(rate(o.ms));
    floor.push(rate(floorMs as number));
    outputFloor.push(rate(outputFloorMs as number));
    ratios.push(rate(o.ms) / rate(floorMs as number));
    outputRatios.push(rate(o.ms) / rate(outputFloorMs as number));
  }
  return {
    bodies: items.length,
    envelopesPerRound: perRound,
    inputBytes: items.reduce((n, i) => n + i.body.length, 0),
    outputBytes: outputs.flat().reduce((n: number, e) => n + JSON.stringify(e).length, 0),
    runs: RUNS,
    rounds: ROUNDS,
    ours: median(ours),
    floor: median(floor),
    outputFloor: median(outputFloor),
    ratio: median(ratios),
    outputRatio: median(outputRatios),
  };
}
