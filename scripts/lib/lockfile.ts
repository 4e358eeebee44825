/**
 * Cuts a package-lock.json (lockfileVersion 3) for one bundled function out of
 * the repository's root package-lock.json, so the buildpack's `npm ci` installs
 * exactly the versions (and integrity hashes, and resolved URLs when the root
 * lock has them) that the tests ran against, and resolves nothing at deploy time.
 *
 * The packages are the ones the function's dependencies reach, found as Node
 * and npm resolve them: a package at location P needing D gets P/node_modules/D,
 * else the same in each ancestor, else node_modules/D. Followed edges:
 * dependencies, optionalDependencies (skipped when the root lock has no copy,
 * e.g. another platform's binary) and non-optional peerDependencies. Optional
 * peers are not followed: npm does not install them for a fresh tree, and
 * would prune them as extraneous from ours.
 *
 * Locations are kept (the nested node_modules layout is the root lock's, which
 * is valid for any subset closed under resolution), and so are the entries'
 * fields, except the dev/optional/peer flags, which describe the root project:
 * they are recomputed for the function's tree as npm's calcDepFlags does, since
 * `npm ci` trusts them (a package still marked dev would be left out by a
 * production install). Nothing is dev here; optional and peer mark packages
 * reached only through optional, respectively peer, edges.
 */

export interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  extraneous?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

export interface Lockfile {
  name: string;
  version: string;
  lockfileVersion: number;
  requires?: boolean;
  packages: Record<string, LockEntry>;
}

export interface RootManifest {
  name: string;
  version: string;
  /** Exact versions, as in the function's package.json. */
  dependencies: Record<string, string>;
  engines?: Record<string, string>;
}

type EdgeKind = 'prod' | 'optional' | 'peer';

interface Edge {
  name: string;
  kind: EdgeKind;
}

const FLAGS = ['dev', 'optional', 'devOptional', 'peer', 'extraneous'] as const;

/** Where `name`, required from the package at `from` ('' for the root), resolves in `packages`. */
export function resolveLocation(packages: Record<string, unknown>, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut < 0 ? '' : dir.slice(0, cut);
  }
}

function edgesOf(entry: LockEntry): Edge[] {
  const edges: Edge[] = [];
  for (const name of Object.keys(entry.dependencies ?? {})) edges.push({ name, kind: 'prod' });
  for (const name of Object.keys(entry.optionalDependencies ?? {})) edges.push({ name, kind: 'optional' });
  for (const name of Object.keys(entry.peerDependencies ?? {})) {
    if (!entry.peerDependenciesMeta?.[name]?.optional) edges.push({ name, kind: 'peer' });
  }
  return edges;
}

/** The exact version the root lock installs at node_modules/<name> (a direct dependency of the root). */
export function lockedVersion(root: Lockfile, name: string): string {
  const version = root.packages[`node_modules/${name}`]?.version;
  if (!version || !/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?$/.test(version)) {
    throw new Error(`package-lock.json has no registry version of ${name} at node_modules/${name}; run npm install`);
  }
  return version;
}

export function functionLockfile(root: Lockfile, manifest: RootManifest): Lockfile {
  if (root.lockfileVersion < 2 || !root.packages) throw new Error('package-lock.json must be lockfileVersion 2 or 3 (npm 7+)');
  const packages = root.packages;
  const rootEdges: Edge[] = Object.keys(manifest.dependencies).map((name) => ({ name, kind: 'prod' }));

  // Locations reachable from the root following only edges of the given kinds.
  const reach = (kinds: EdgeKind[]): Set<string> => {
    const seen = new Set<string>();
    const queue: Array<{ from: string; edges: Edge[] }> = [{ from: '', edges: rootEdges }];
    while (queue.length) {
      const { from, edges } = queue.pop()!;
      for (const edge of edges) {
        if (!kinds.includes(edge.kind)) continue;
        const to = resolveLocation(packages, from, edge.name);
        if (!to) {
          if (edge.kind === 'optional') continue;
          throw new Error(
            `package-lock.json has no ${edge.name} reachable from ${from || 'the root'} (a ${edge.kind} dependency); run npm install`,
          );
        }
        if (seen.has(to)) continue;
        const entry = packages[to]!;
        if (entry.link) throw new Error(`${to} is a link (workspace or file: dependency), which a function's lock cannot carry`);
        seen.add(to);
        queue.push({ from: to, edges: edgesOf(entry) });
      }
    }
    return seen;
  };
  const all = reach(['prod', 'optional', 'peer']);
  const nonOptional = reach(['prod', 'peer']);
  const nonPeer = reach(['prod', 'optional']);

  const out: Record<string, LockEntry> = {
    '': {
      name: manifest.name,
      version: manifest.version,
      dependencies: manifest.dependencies,
      ...(manifest.engines ? { engines: manifest.engines } : {}),
    },
  };
  // The root lock's order (npm's), so the output is a pure function of the committed lock.
  for (const location of Object.keys(packages)) {
    if (!all.has(location)) continue;
    const entry: LockEntry = {};
    const flags: Partial<Record<(typeof FLAGS)[number], boolean>> = {};
    if (!nonPeer.has(location)) flags.peer = true;
    if (!nonOptional.has(location)) flags.optional = true;
    let placed = false;
    for (const [key, value] of Object.entries(packages[location]!)) {
      if ((FLAGS as readonly string[]).includes(key)) continue;
      entry[key] = value;
      if (key === 'integrity') {
        Object.assign(entry, flags);
        placed = true;
      }
    }
    if (!placed) Object.assign(entry, flags);
    out[location] = entry;
  }
  return { name: manifest.name, version: manifest.version, lockfileVersion: 3, requires: true, packages: out };
}
