/**
 * Which sources a function is made of, for `npm start -- --watch` (restart only
 * the functions an edit touches) and `npm start -- --dist` (warn when a bundle
 * in dist/ is older than the sources it was built from).
 *
 * A function's sources are what esbuild reaches from functions/<name>/index.ts
 * with packages left external: the same graph `npm run build` bundles.
 */
import { existsSync, readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { functionEntryFile, REPO_ROOT } from './functions';

/** The folders whose .ts files end up in a function bundle. */
export const SOURCE_DIRS = ['functions', 'shared'] as const;

/** Every .ts file under `dir` (tests and declarations excluded). */
export function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (isSourceFile(entry.name)) out.push(full);
  }
  return out;
}

export function isSourceFile(file: string): boolean {
  return file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.endsWith('.test.ts');
}

/** The newest source file under functions/ and shared/, by modification time. */
export function newestSource(root = REPO_ROOT): { file: string; mtimeMs: number } | undefined {
  let newest: { file: string; mtimeMs: number } | undefined;
  for (const dir of SOURCE_DIRS) {
    for (const file of sourceFiles(path.join(root, dir))) {
      const mtimeMs = statSync(file).mtimeMs;
      if (!newest || mtimeMs > newest.mtimeMs) newest = { file, mtimeMs };
    }
  }
  return newest;
}

/** The bundles built before `newestSourceMs` (missing bundles are the runner's "skipping" warning, not stale). */
export function staleBundles(bundles: Record<string, number | undefined>, newestSourceMs: number): string[] {
  return Object.entries(bundles)
    .filter(([, mtimeMs]) => mtimeMs !== undefined && mtimeMs < newestSourceMs)
    .map(([name]) => name);
}

/** The warning `npm start -- --dist` prints when dist/ is older than the sources, or undefined. */
export function staleBundleWarning(names: readonly string[], root = REPO_ROOT): string | undefined {
  const newest = newestSource(root);
  if (!newest) return undefined;
  const bundles: Record<string, number | undefined> = {};
  for (const name of names) {
    const file = functionEntryFile(name, 'dist', root);
    bundles[name] = existsSync(file) ? statSync(file).mtimeMs : undefined;
  }
  const stale = staleBundles(bundles, newest.mtimeMs);
  if (!stale.length) return undefined;
  const which = stale.length === Object.values(bundles).filter((m) => m !== undefined).length ? 'every bundle' : stale.join(', ');
  return (
    `WARNING: dist/ is older than the sources (${which}; newest source: ${path.relative(root, newest.file)}, ` +
    `changed ${new Date(newest.mtimeMs).toISOString()}). Run \`npm run build\` first, or drop --dist to run the sources.`
  );
}

/**
 * The local files each function is built from (absolute paths), as esbuild
 * resolves them. A function esbuild cannot analyse (a syntax error) keeps its
 * `previous` inputs, if any.
 */
export async function functionInputs(
  names: readonly string[],
  root = REPO_ROOT,
  previous?: ReadonlyMap<string, Set<string>>,
): Promise<Map<string, Set<string>>> {
  const { build } = await import('esbuild');
  const out = new Map<string, Set<string>>();
  await Promise.all(
    names.map(async (name) => {
      const entry = functionEntryFile(name, 'source', root);
      if (!existsSync(entry)) return;
      const result = await build({
        entryPoints: [entry],
        bundle: true,
        write: false,
        metafile: true,
        platform: 'node',
        format: 'cjs',
        packages: 'external',
        logLevel: 'silent',
        absWorkingDir: root,
      }).catch(() => undefined);
      const known = result ? new Set(Object.keys(result.metafile.inputs).map((f) => path.resolve(root, f))) : previous?.get(name);
      if (known) out.set(name, known);
    }),
  );
  return out;
}

/**
 * The functions to restart after `changed` files changed: those built from one
 * of them. A function whose inputs are unknown (it could not be analysed, e.g.
 * a syntax error) is restarted when a file in its own folder changes.
 */
export function affectedFunctions(
  changed: readonly string[],
  inputs: ReadonlyMap<string, ReadonlySet<string>>,
  names: readonly string[],
  root = REPO_ROOT,
): string[] {
  return names.filter((name) => {
    const own = inputs.get(name);
    const folder = path.join(root, 'functions', name) + path.sep;
    return changed.some((file) => (own ? own.has(file) : file.startsWith(folder)));
  });
}

/**
 * Calls `onChange` with the changed files once `debounceMs` passed without a
 * further change (an editor's save is often several events, a git operation
 * many). Returns a function that stops watching.
 */
export function watchSources(options: { root?: string; debounceMs?: number; onChange: (files: string[]) => void }): () => void {
  const root = options.root ?? REPO_ROOT;
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const watchers: FSWatcher[] = [];
  for (const dir of SOURCE_DIRS) {
    const base = path.join(root, dir);
    if (!existsSync(base)) continue;
    watchers.push(
      watch(base, { recursive: true }, (_event, file) => {
        if (!file || !isSourceFile(String(file))) return;
        pending.add(path.join(base, String(file)));
        clearTimeout(timer);
        timer = setTimeout(() => {
          const files = [...pending];
          pending.clear();
          options.onChange(files);
        }, options.debounceMs ?? 300);
      }),
    );
  }
  return () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
