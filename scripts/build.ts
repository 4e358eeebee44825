/**
 * `npm run build`: bundles every function of topology.json into dist/<name>/
 * (index.js, a package.json for Cloud Functions' Node.js buildpack and its
 * package-lock.json), packs those three into dist/<name>.zip, the source archive
 * Terraform uploads, then checks that the files derived from the event type
 * registry are up to date (scripts/write-schema.ts). It writes nothing outside dist/.
 *
 * Nothing is resolved at deploy time: package.json pins the exact versions of the
 * externals, and package-lock.json (scripts/lib/lockfile.ts) is cut from the root
 * lock, so the buildpack runs `npm ci` on the very versions and integrity hashes
 * the tests ran against. The zip is deterministic (scripts/lib/zip.ts: sorted,
 * stored, fixed time and mode), so the same commit gives the same bytes, and the
 * archive's SHA-256 changes exactly when the deployed code or dependencies do.
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
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { topology } from '../shared/contracts/topology';
import { functionLockfile, lockedVersion, type Lockfile } from './lib/lockfile';
import { zip } from './lib/zip';
import { embedPage } from './lib/embed-page';

export const ROOT = path.resolve(__dirname, '..');
export const DIST = path.join(ROOT, 'dist');

/** Packages left to node_modules (and so listed as dependencies of the function). */
export const EXTERNAL_PACKAGES = ['@google-cloud/functions-framework'];

/** What dist/<name>.zip holds, all from dist/<name>/. */
export const ARCHIVE_FILES = ['index.js', 'package-lock.json', 'package.json'];

export interface BuiltFunction {
  name: string;
  dir: string;
  /** dist/<name>.zip */
  archive: string;
  /** Exact versions, as pinned in package.json and package-lock.json. */
  dependencies: Record<string, string>;
  /** Size of index.js. */
  bytes: number;
  archiveBytes: number;
  /** Hex SHA-256 of the archive (what Terraform's filesha256() gives). */
  archiveSha256: string;
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

/**
 * Packs ARCHIVE_FILES of `dir` into `archive`. Only the files' bytes go in: their
 * times, modes and owners on this machine do not (see scripts/lib/zip.ts).
 */
export function writeArchive(dir: string, archive: string): { bytes: number; sha256: string } {
  const data = zip(ARCHIVE_FILES.map((file) => ({ name: file, data: readFileSync(path.join(dir, file)) })));
  writeFileSync(archive, data);
  return { bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
}

/** Builds dist/<name>/ and dist/<name>.zip (under `outDir` instead of dist/ when given). */
export async function buildFunction(name: string, entryPoint: string, outDir: string = DIST): Promise<BuiltFunction> {
  const root = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const rootLock: Lockfile = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
  const dir = path.join(outDir, name);
  const archive = path.join(outDir, `${name}.zip`);
  rmSync(dir, { recursive: true, force: true });
  rmSync(archive, { force: true });
  mkdirSync(dir, { recursive: true });
  const outfile = path.join(dir, 'index.js');
  const result = await build({
    entryPoints: [entryPoint],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    external: EXTERNAL_PACKAGES,
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
    // The bundle's path comments are relative to this: the same bytes from any cwd.
    absWorkingDir: ROOT,
    // The events API serves the Event Log page: built now and embedded, not bundled on first request.
    plugins: [embedPage()],
  });
  const ranges = externalDependencies(result.metafile, root.dependencies ?? {});
  const dependencies = Object.fromEntries(Object.keys(ranges).map((dep) => [dep, lockedVersion(rootLock, dep)]));
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
  const lock = functionLockfile(rootLock, manifest);
  writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2) + '\n');
  const { bytes: archiveBytes, sha256: archiveSha256 } = writeArchive(dir, archive);
  return { name, dir, archive, dependencies, bytes: readFileSync(outfile).length, archiveBytes, archiveSha256 };
}

export async function buildAll(log: (line: string) => void = console.log): Promise<BuiltFunction[]> {
  const built: BuiltFunction[] = [];
  for (const name of Object.keys(topology.functions)) {
    const entry = path.join(ROOT, 'functions', name, 'index.ts');
    if (!existsSync(entry)) {
      // No stale output a deploy could pick up.
      rmSync(path.join(DIST, name), { recursive: true, force: true });
      rmSync(path.join(DIST, `${name}.zip`), { force: true });
      log(`WARNING skipped ${name}: functions/${name}/index.ts does not exist yet`);
      continue;
    }
    const fn = await buildFunction(name, entry);
    built.push(fn);
    const deps =
      Object.entries(fn.dependencies)
        .map(([dep, version]) => `${dep}@${version}`)
        .join(', ') || 'none';
    const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
    log(
      `built ${path.relative(ROOT, fn.dir)}/index.js  ${kib(fn.bytes)}  dependencies: ${deps}  ` +
        `${path.relative(ROOT, fn.archive)} ${kib(fn.archiveBytes)} sha256 ${fn.archiveSha256.slice(0, 12)}`,
    );
  }
  return built;
}

async function main(): Promise<void> {
  await buildAll();
  // The build writes only dist/: a stale generated file is an error to fix with
  // `npm run schema`, never something the build rewrites behind the tests' back.
  // Loaded here, not at the top: a schema problem must not stop the bundles from being built first.
  const { outdated } = await import('./write-schema');
  const stale = outdated();
  if (stale.length) throw new Error(`out of date: ${stale.join(', ')}; run \`npm run schema\` and commit the result`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
