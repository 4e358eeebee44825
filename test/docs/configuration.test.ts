/**
 * docs/configuration.md is what ops set when they deploy: every variable a
 * function reads must be there, and everything there must still be read by
 * something. Reads are found in the source (shared/, functions/ and the
 * local stack's scripts), so a new setting added without its row fails here.
 */
import { PLATFORM_SETTINGS } from '../../shared/blocks/config';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { META_PLATFORMS, metaSecretVariables } from '../../shared/edge/config';
import { TOPIC_SETTINGS } from '../../shared/contracts/topics';
import { topology } from '../../shared/contracts/topology';

const ROOT = path.resolve(__dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') ? [full] : [];
  });
}

/** Variable names read with a literal name: envNumber(env, 'X', …), intEnv('X') (npm start), process.env.X, env.X, env['X']. */
function literalReads(files: string[]): Map<string, string> {
  const patterns = [
    /envNumber\(\s*\w+\s*,\s*'([A-Z][A-Z0-9_]*)'/g,
    /\bintEnv\(\s*'([A-Z][A-Z0-9_]*)'/g,
    /\bprocess\.env\.([A-Z][A-Z0-9_]*)/g,
    /\benv\.([A-Z][A-Z0-9_]*)/g,
    /\benv\[\s*'([A-Z][A-Z0-9_]*)'\s*\]/g,
    // The CLIs' token variable (scripts/lib/identity-token.ts).
    /\bidentityToken\([^,]+,\s*'([A-Z][A-Z0-9_]*)'/g,
  ];
  const reads = new Map<string, string>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const pattern of patterns) {
      for (const match of text.matchAll(pattern)) reads.set(match[1] as string, path.relative(ROOT, file));
    }
  }
  return reads;
}

/** What the deployed functions read: literal reads in their code, plus the names built from tables. */
function functionSettings(): Map<string, string> {
  const reads = literalReads([...sourceFiles(path.join(ROOT, 'shared')), ...sourceFiles(path.join(ROOT, 'functions'))]);
  for (const { variable } of Object.values(TOPIC_SETTINGS)) reads.set(variable, 'shared/contracts/topics.ts');
  for (const settings of Object.values(PLATFORM_SETTINGS)) {
    reads.set(settings.apiBaseVariable, 'shared/blocks/config.ts');
    reads.set(settings.webhookUrlVariable, 'shared/blocks/config.ts');
  }
  for (const platform of META_PLATFORMS) {
    for (const suffix of ['APP_SECRET', 'VERIFY_TOKEN'] as const) {
      for (const variable of metaSecretVariables(platform, suffix)) reads.set(variable, 'shared/edge/config.ts');
    }
  }
  return reads;
}

/** What the CLIs that call a deployment's APIs read. */
const cliSettings = () => literalReads(['events.ts', 'reconcile.ts', 'blocks.ts'].map((name) => path.join(ROOT, 'scripts', name)));

/** Every `UPPER_CASE` name in backticks in docs/configuration.md (log levels too: the tests pick what they need). */
function documented(): Set<string> {
  const page = readFileSync(path.join(ROOT, 'docs', 'configuration.md'), 'utf8');
  return new Set([...page.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{3,})`/g)].map((m) => m[1] as string));
}

/** Read by the Google client libraries or Express, not by our code. */
const READ_BY_LIBRARIES = ['PUBSUB_EMULATOR_HOST', 'FIRESTORE_EMULATOR_HOST', 'NODE_ENV'];

describe('docs/configuration.md', () => {
  const docs = documented();

  it('documents every variable the functions read', () => {
    const undocumented = [...functionSettings()].filter(([name]) => !docs.has(name)).map(([name, file]) => `${name} (read in ${file})`);
    expect(undocumented).toEqual([]);
  });

  it('documents every variable and secret topology.json gives a function', () => {
    const given = Object.values(topology.functions).flatMap((fn) => [...Object.keys(fn.env ?? {}), ...(fn.secrets ?? [])]);
    expect([...new Set(given)].filter((name) => !docs.has(name))).toEqual([]);
  });

  it('documents the URL and token variables of the CLIs', () => {
    const read = [...cliSettings()].filter(([name]) => /_API_(URL|TOKEN)$/.test(name));
    expect(read.length).toBeGreaterThanOrEqual(4);
    expect(read.filter(([name]) => !docs.has(name)).map(([name, file]) => `${name} (read in ${file})`)).toEqual([]);
  });

  it('documents nothing that no longer exists', () => {
    const localStack = literalReads([path.join(ROOT, 'scripts', 'start.ts'), ...sourceFiles(path.join(ROOT, 'scripts', 'lib'))]);
    const known = new Set([
      ...functionSettings().keys(),
      ...localStack.keys(),
      ...cliSettings().keys(),
      ...READ_BY_LIBRARIES,
      ...Object.values(topology.functions).flatMap((fn) => Object.keys(fn.env ?? {})),
    ]);
    const variables = [...docs].filter((name) => name.includes('_'));
    expect(variables.filter((name) => !known.has(name))).toEqual([]);
  });
});
