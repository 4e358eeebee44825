/**
 * Bench part "normalizer": envelopes per second on one core through the
 * normalizer's pure path, next to two floors measured in the same run on the
 * same bytes (the measuring code is normalizer-core.ts):
 *
 *   floor         JSON.parse + JSON.stringify of the input (the yardstick)
 *   output floor  JSON.parse of the input + JSON.stringify of the envelopes we
 *                 emit: the least any normalizer emitting these envelopes does
 *
 * The core is bundled with esbuild first and run from the bundle, because
 * production runs the bundle: run through tsx, every cross-module call goes
 * through a CommonJS export getter that the bundle does not have.
 *
 *   npm run bench -- normalizer      (BENCH_RUNS, BENCH_ROUNDS)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { ROOT } from '../build';
import type { NormalizerBenchResult } from './normalizer-core';

export async function run(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-normalizer-'));
  try {
    const outfile = path.join(dir, 'core.js');
    await build({
      entryPoints: [path.join(ROOT, 'scripts', 'bench', 'normalizer-core.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'cjs',
      logLevel: 'error',
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const core = require(outfile) as { measure(): Promise<NormalizerBenchResult> };
    report(await core.measure());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(r: NormalizerBenchResult): void {
  console.log(
    `normalizer: ${r.bodies} bodies (${r.inputBytes} bytes) → ${r.envelopesPerRound} envelopes (${r.outputBytes} bytes, ` +
      `${(r.outputBytes / r.inputBytes).toFixed(1)}× the input) per round; ${r.rounds} rounds per run, median of ${r.runs} runs, one core, esbuild bundle`,
  );
  console.table([
    { path: 'normalize (parse, split, map, ids, validate, serialize)', 'envelopes/s': Math.round(r.ours) },
    { path: 'floor: JSON.parse + JSON.stringify of the input', 'envelopes/s': Math.round(r.floor) },
    { path: 'output floor: JSON.parse of the input + JSON.stringify of our envelopes', 'envelopes/s': Math.round(r.outputFloor) },
  ]);
  console.log(`ratio ours/floor (median of paired runs): ${r.ratio.toFixed(2)}`);
  console.log(`ratio ours/output floor (median of paired runs): ${r.outputRatio.toFixed(2)}`);
}

if (require.main === module) {
  run().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
