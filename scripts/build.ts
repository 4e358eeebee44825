/**
 * `npm run build`: bundles every function of topology.json into dist/<name>/
 * (index.js + a package.json for Cloud Functions' Node.js buildpack), then
 * writes the derived schema files (scripts/write-schema.ts).
 *
 * Everything is bundled except @google-cloud/functions-framework: the runtime
 * starts the framework from node_modules and looks the function up in *its*
 * registry, so a bundled copy would register into a registry nobody reads.
 * The Google clients (@google-cloud/pubsub, firestore, google-gax) bundle and
 * work: their protos are required JSON that esbuild inlines, and publish and
 * Firestore reads were checked from a bundle against the emulators (the build
 * test starts a bundled function and publishes through it). One file also
 * starts faster than resolving hundreds of node_modules files (see the bench).
 *
 * A function whose functions/<name>/index.ts does not exist yet is skipped
 * with a warning, so the build works while functions are still being written.
 */
import { build, type Metafile } from 'esbuild';
import { builtinModules } from 'node:module';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { topology } from '../shared/topology';

export const ROOT = path.resolve(__dirname, '..');
export const DIST = path.join(ROOT, 'dist');

/** Packages left to node_modules (and so listed as dependencies of the function). */
export const EXTERNAL_PACKAGES = ['@google-cloud/functions-framework'];

export interface BuiltFunction {
  name: string;
  dir: string;
  dependencies: Record<string, string>;
  bytes: number;
}

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** The external packages the bundle actually requires, with the root package.json's version ranges. */
export function externalDependencies(metafile: Metafile, rootDeps: Record<string, string>): Record<string, string> {
  const names = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const imp of output.imports) {
      if (imp.external && !BUILTINS.has(imp.path)) names.add(packageName(imp.path));
    }
  }
  const deps: Record<string, string> = {};
  for (const name of [...names].sort()) {
    const version = rootDeps[name];
    if (!version) throw new Error(`the bundle requires ${name}, which is not a dependency in package.json`);
    deps[name] = version;
  }
  return deps;
}

export async function buildFunction(name: string, entryPoint: string): Promise<BuiltFunction> {
  const root = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const dir = path.join(DIST, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const outfile = path.join(dir, 'index.js');
  const result = await build({
    entryPoints: [entryPoint],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: EXTERNAL_PACKAGES,
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
  });
  const dependencies = externalDependencies(result.metafile, root.dependencies ?? {});
  const manifest = {
    name: `convotic-${name}`,
    version: root.version,
    private: true,
    description: `${name} (bundled by scripts/build.ts from functions/${name}/index.ts)`,
    main: 'index.js',
    engines: root.engines,
    dependencies,
  };
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  return { name, dir, dependencies, bytes: readFileSync(outfile).length };
}

export async function buildAll(log: (line: string) => void = console.log): Promise<BuiltFunction[]> {
  const built: BuiltFunction[] = [];
  for (const name of Object.keys(topology.functions)) {
    const entry = path.join(ROOT, 'functions', name, 'index.ts');
    if (!existsSync(entry)) {
      log(`WARNING skipped ${name}: functions/${name}/index.ts does not exist yet`);
      continue;
    }
    const fn = await buildFunction(name, entry);
    built.push(fn);
    const deps = Object.keys(fn.dependencies).join(', ') || 'none';
    log(`built ${path.relative(ROOT, fn.dir)}/index.js  ${(fn.bytes / 1024).toFixed(0)} KiB  dependencies: ${deps}`);
  }
  return built;
}

async function main(): Promise<void> {
  await buildAll();
  // Loaded here, not at the top: a schema problem must not stop the bundles from being built first.
  const { writeAll } = await import('./write-schema');
  writeAll();
  console.log('wrote the envelope schema files (scripts/write-schema.ts)');
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
