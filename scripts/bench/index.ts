/**
 * `npm run bench [-- part…]`: runs the benchmark parts in order, each printing
 * its own table. Adding a part is one line in PARTS (a module exporting
 * `run(): Promise<void>`). With arguments, only the named parts run.
 */
export interface BenchPart {
  run(): Promise<void>;
}

const PARTS: Array<[name: string, load: () => Promise<BenchPart>]> = [
  ['edge', () => import('./edge')],
  ['normalizer', () => import('./normalizer')],
  ['normalizer-push', () => import('./normalizer-push')],
  ['triggers', () => import('./triggers')],
  ['e2e', () => import('./e2e')],
  ['load', () => import('./load')],
  ['reconcile', () => import('./reconcile')],
];

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !PARTS.some(([name]) => name === w));
  if (unknown.length) throw new Error(`unknown bench part(s): ${unknown.join(', ')}; known: ${PARTS.map(([n]) => n).join(', ')}`);
  for (const [name, load] of PARTS) {
    if (wanted.length && !wanted.includes(name)) continue;
    console.log(`\n== bench: ${name} ==`);
    await (await load()).run();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
