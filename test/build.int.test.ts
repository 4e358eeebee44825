/**
 * `npm run build` produces deployable webhook functions: one index.js, a
 * package.json naming only what the bundle requires (pinned), a package-lock.json
 * that installs it offline, a deterministic dist/<name>.zip of the three, and a
 * bundle that really serves under the functions-framework CLI and publishes to Pub/Sub.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, utimesSync } from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { buildFunction, writeArchive } from '../scripts/build';
import { freePort } from '../scripts/lib/emulators';
import { functionLockfile, type Lockfile } from '../scripts/lib/lockfile';
import { request } from './helpers/http-client';
import { createTopicWithSubscription } from './helpers/pubsub-emulator';
import { signedRequest } from './helpers/webhook-signing';

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const FF_BIN = path.join(ROOT, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js');
const WEBHOOKS = ['webhook-instagram', 'webhook-messenger', 'webhook-whatsapp', 'webhook-line', 'webhook-telegram'];
const FF = '@google-cloud/functions-framework';
const run = promisify(execFile);

let buildOutput = '';
let tmp: string;

beforeAll(() => {
  tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'build-test-')));
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** Every file of the repository outside dist/ (and node_modules, .git), with its modification time. */
function repositoryFiles(dir = ROOT, out = new Map<string, number>()): Map<string, number> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // test-artifacts/: the browser tests' screenshots, written while this suite runs in parallel (git-ignored).
    if (['node_modules', 'dist', '.git', '.emulators', 'test-artifacts'].includes(entry.name) && dir === ROOT) continue;
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) repositoryFiles(file, out);
    else if (entry.isFile()) out.set(path.relative(ROOT, file), statSync(file).mtimeMs);
  }
  return out;
}
let filesBeforeBuild: Map<string, number>;

beforeAll(async () => {
  filesBeforeBuild = repositoryFiles();
  const { stdout } = await promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT, maxBuffer: 10 * 1024 * 1024 });
  buildOutput = stdout;
}, 120_000);

it('writes nothing outside dist/: no tracked file (the generated schema files included) is created or touched', () => {
  const after = repositoryFiles();
  const changed = [...after].filter(([file, mtime]) => filesBeforeBuild.get(file) !== mtime).map(([file]) => file);
  expect(changed).toEqual([]);
});

it.each(WEBHOOKS)('%s: dist holds index.js, its lock, and a package.json listing only what the bundle requires, pinned', (name) => {
  const dir = path.join(DIST, name);
  expect(readdirSync(dir).sort()).toEqual(['index.js', 'package-lock.json', 'package.json']);
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const root = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const rootLock: Lockfile = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
  expect(manifest.main).toBe('index.js');
  expect(manifest.engines).toEqual(root.engines);
  expect(root.dependencies).toHaveProperty([FF]);
  // The exact version the root lock installs (and the tests ran), not the root's range.
  expect(manifest.dependencies).toEqual({ [FF]: rootLock.packages[`node_modules/${FF}`]!.version });
  expect(manifest.dependencies[FF]).toMatch(/^\d+\.\d+\.\d+$/);
  expect(manifest).not.toHaveProperty('devDependencies');

  const bundle = readFileSync(path.join(dir, 'index.js'), 'utf8');
  const required = new Set([...bundle.matchAll(/require\("([^".][^"]*)"\)/g)].map((m) => m[1]!.replace(/^node:/, '')));
  const packages = [...required].filter((r) => !builtinModules.includes(r.split('/')[0]!));
  expect(packages).toEqual(['@google-cloud/functions-framework']);
});

it('keeps Firestore out of the Meta bundles (cold start) and in the LINE one', () => {
  expect(readFileSync(path.join(DIST, 'webhook-whatsapp', 'index.js'), 'utf8')).not.toContain('google.firestore.v1.Firestore');
  expect(readFileSync(path.join(DIST, 'webhook-line', 'index.js'), 'utf8')).toContain('google.firestore.v1.Firestore');
});

it.each(WEBHOOKS)("%s bundles its own platform's edge adapter and nothing of the normalizer (cold start)", (name) => {
  const platform = name.replace('webhook-', '');
  const bundle = readFileSync(path.join(DIST, name, 'index.js'), 'utf8');
  // esbuild heads each module's code with a `// <path>` comment.
  const modules = [...bundle.matchAll(/^\/\/ ((?:shared|functions)\/\S+\.ts)$/gm)].map((m) => m[1]!);
  expect(modules).toContain(`shared/platforms/${platform}/edge.ts`);
  const platforms = new Set(modules.filter((m) => m.startsWith('shared/platforms/')).map((m) => m.split('/')[2]));
  expect([...platforms].sort()).toEqual(['instagram', 'messenger', 'whatsapp'].includes(platform) ? ['meta', platform].sort() : [platform]);
  expect(
    modules.filter((m) =>
      /^shared\/(normalize\/|platforms\/registry|platforms\/[^/]+\/(index|normalize)|platform-kit\/(fields|problems|thread|time)\.ts)/.test(
        m,
      ),
    ),
  ).toEqual([]);
});

it('reports functions it skipped because their entry file does not exist yet', () => {
  for (const line of buildOutput.split('\n').filter((l) => l.includes('skipped'))) {
    const name = /skipped (\S+):/.exec(line)![1]!;
    expect(existsSync(path.join(ROOT, 'functions', name, 'index.ts'))).toBe(false);
  }
});

/** A zip's entries as its central directory and local headers say, read independently of scripts/lib/zip.ts. */
function readZip(buf: Buffer) {
  const eocd = buf.length - 22;
  expect(buf.readUInt32LE(eocd)).toBe(0x06054b50);
  expect(buf.readUInt16LE(eocd + 20)).toBe(0); // no archive comment
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  expect(at + buf.readUInt32LE(eocd + 12)).toBe(eocd);
  const entries = [];
  for (let i = 0; i < count; i++) {
    expect(buf.readUInt32LE(at)).toBe(0x02014b50);
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const entry = {
      name: buf.toString('utf8', at + 46, at + 46 + nameLength),
      madeBy: buf.readUInt16LE(at + 4) >> 8,
      method: buf.readUInt16LE(at + 10),
      time: buf.readUInt16LE(at + 12),
      date: buf.readUInt16LE(at + 14),
      mode: buf.readUInt32LE(at + 38) >>> 16,
      extraLength,
      commentLength,
      crc: buf.readUInt32LE(at + 16),
      data: Buffer.alloc(0) as Buffer,
    };
    // The local header agrees and carries no extra field either.
    expect(buf.readUInt32LE(local)).toBe(0x04034b50);
    expect([buf.readUInt16LE(local + 10), buf.readUInt16LE(local + 12), buf.readUInt32LE(local + 14)]).toEqual([
      entry.time,
      entry.date,
      entry.crc,
    ]);
    expect(buf.readUInt16LE(local + 28)).toBe(0);
    const size = buf.readUInt32LE(local + 18);
    const start = local + 30 + buf.readUInt16LE(local + 26);
    entry.data = buf.subarray(start, start + size);
    entries.push(entry);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

describe('dist/<name>.zip, the source archive Terraform uploads', () => {
  it.each(WEBHOOKS)('%s.zip holds the three files, stored, dated 1980-01-01 00:00, mode 0644, no extra fields', (name) => {
    const entries = readZip(readFileSync(path.join(DIST, `${name}.zip`)));
    expect(entries.map((e) => e.name)).toEqual(['index.js', 'package-lock.json', 'package.json']);
    for (const entry of entries) {
      expect(entry).toMatchObject({ madeBy: 3, method: 0, time: 0, date: (1 << 5) | 1, mode: 0o100644, extraLength: 0, commentLength: 0 });
      expect(entry.data.equals(readFileSync(path.join(DIST, name, entry.name)))).toBe(true);
      expect(entry.crc).toBe(zlib.crc32(entry.data) >>> 0);
    }
  });

  it('is the same bytes when built again in another process and directory, and file times and modes do not leak in', async () => {
    const name = 'webhook-whatsapp';
    const first = readFileSync(path.join(DIST, `${name}.zip`));
    const again = await buildFunction(name, path.join(ROOT, 'functions', name, 'index.ts'), path.join(tmp, 'again'));
    expect(readFileSync(again.archive).equals(first)).toBe(true);

    const touched = path.join(tmp, 'touched');
    cpSync(again.dir, touched, { recursive: true });
    chmodSync(path.join(touched, 'index.js'), 0o755);
    chmodSync(path.join(touched, 'package.json'), 0o600);
    const y2001 = new Date('2001-02-03T04:05:06Z');
    for (const file of readdirSync(touched)) utimesSync(path.join(touched, file), y2001, y2001);
    writeArchive(touched, `${touched}.zip`);
    expect(readFileSync(`${touched}.zip`).equals(first)).toBe(true);
  }, 60_000);
});

/** Node's lookup: P/node_modules/D, then each ancestor's node_modules, then node_modules/D. */
function resolveIn(packages: Record<string, unknown>, from: string, dep: string): string | undefined {
  for (let dir = from; ; dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '') {
    const location = `${dir ? `${dir}/` : ''}node_modules/${dep}`;
    if (location in packages) return location;
    if (!dir) return undefined;
  }
}

describe('dist/<name>/package-lock.json', () => {
  it.each(WEBHOOKS)('%s: matches package.json, copies the root lock, and every dependency resolves inside it', (name) => {
    const lock: Lockfile = JSON.parse(readFileSync(path.join(DIST, name, 'package-lock.json'), 'utf8'));
    const manifest = JSON.parse(readFileSync(path.join(DIST, name, 'package.json'), 'utf8'));
    const rootLock: Lockfile = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
    expect(lock).toMatchObject({ name: manifest.name, version: manifest.version, lockfileVersion: 3 });
    expect(lock.packages['']).toEqual({
      name: manifest.name,
      version: manifest.version,
      dependencies: manifest.dependencies,
      engines: manifest.engines,
    });

    const { '': _root, ...packages } = lock.packages;
    const reached = new Set<string>();
    const visit = (from: string, deps: Record<string, string>, optional: Record<string, string> = {}) => {
      for (const dep of [...Object.keys(deps), ...Object.keys(optional)]) {
        const location = resolveIn(packages, from, dep);
        if (!location && dep in optional) continue;
        // Found, and the very package the root install (which npm ci checked against the ranges) gives it.
        expect({ from, dep, location }).toEqual({ from, dep, location: resolveIn(rootLock.packages, from, dep) ?? 'not in the root lock' });
        if (reached.has(location!)) continue;
        reached.add(location!);
        const entry = packages[location!]!;
        const peers = Object.fromEntries(
          Object.entries(entry.peerDependencies ?? {}).filter(([peer]) => !entry.peerDependenciesMeta?.[peer]?.optional),
        );
        visit(location!, { ...entry.dependencies, ...peers }, entry.optionalDependencies);
      }
    };
    visit('', manifest.dependencies);
    // Everything in the lock is needed, and nothing needed is missing.
    expect([...reached].sort()).toEqual(Object.keys(packages).sort());
    for (const [location, entry] of Object.entries(packages)) {
      const original = rootLock.packages[location]!;
      expect({ location, version: entry.version, resolved: entry.resolved, integrity: entry.integrity }).toEqual({
        location,
        version: original.version,
        resolved: original.resolved,
        integrity: original.integrity,
      });
      expect(entry.integrity).toMatch(/^sha512-/);
      expect(entry).not.toHaveProperty('dev');
      expect(entry).not.toHaveProperty('devOptional');
    }
    expect(packages[`node_modules/${FF}`]!.version).toBe(manifest.dependencies[FF]);
  });

  it("keeps nested locations, follows optional and peer edges, and recomputes the root project's dev/optional/peer flags", () => {
    const pkg = (version: string, more: object = {}) => ({ version, integrity: `sha512-${version}`, ...more });
    const root: Lockfile = {
      name: 'root',
      version: '1.0.0',
      lockfileVersion: 3,
      packages: {
        '': { name: 'root', version: '1.0.0' },
        'node_modules/a': pkg('1.0.0', { dev: true, dependencies: { b: '^2', c: '^1' }, optionalDependencies: { gone: '^1', o: '^1' } }),
        'node_modules/a/node_modules/b': pkg('2.0.0', {
          peerDependencies: { c: '^1', p: '^1', r: '^1' },
          peerDependenciesMeta: { p: { optional: true } },
        }),
        'node_modules/b': pkg('1.0.0'),
        'node_modules/c': pkg('1.0.0', { devOptional: true }),
        'node_modules/o': pkg('1.0.0', { dependencies: { q: '^1' } }),
        'node_modules/p': pkg('1.0.0'),
        'node_modules/q': pkg('1.0.0', { dev: true }),
        'node_modules/r': pkg('1.0.0', { optional: true }),
        'node_modules/unused': pkg('1.0.0'),
      },
    };
    const lock = functionLockfile(root, { name: 'fn', version: '0.1.0', dependencies: { a: '1.0.0' } });
    // a's b is the nested 2.0.0, not node_modules/b; the optional peer p, the missing optional gone and unused stay out.
    expect(Object.keys(lock.packages)).toEqual([
      '',
      'node_modules/a',
      'node_modules/a/node_modules/b',
      'node_modules/c',
      'node_modules/o',
      'node_modules/q',
      'node_modules/r',
    ]);
    expect(lock.packages['node_modules/a']).toEqual(
      pkg('1.0.0', { dependencies: { b: '^2', c: '^1' }, optionalDependencies: { gone: '^1', o: '^1' } }),
    );
    expect(lock.packages['node_modules/c']).toEqual(pkg('1.0.0')); // also b's peer, but a regular dependency of a
    expect(lock.packages['node_modules/o']).toEqual(pkg('1.0.0', { optional: true, dependencies: { q: '^1' } }));
    expect(lock.packages['node_modules/q']).toEqual(pkg('1.0.0', { optional: true }));
    expect(lock.packages['node_modules/r']).toEqual(pkg('1.0.0', { peer: true }));
    delete root.packages['node_modules/c'];
    expect(() => functionLockfile(root, { name: 'fn', version: '0.1.0', dependencies: { a: '1.0.0' } })).toThrow(/no c reachable/);
  });

  it('installs offline with `npm ci` from the npm cache the root `npm ci` filled, and the framework loads', async () => {
    const dir = path.join(tmp, 'npm-ci');
    cpSync(path.join(DIST, 'webhook-whatsapp'), dir, { recursive: true });
    await run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, maxBuffer: 10 * 1024 * 1024 });
    // npm ls exits non-zero on a missing, invalid or extraneous package.
    await run('npm', ['ls', '--all'], { cwd: dir, maxBuffer: 10 * 1024 * 1024 });
    const { stdout } = await run(
      process.execPath,
      ['-e', `require(${JSON.stringify(FF)}); console.log(require.resolve(${JSON.stringify(FF)}))`],
      { cwd: dir },
    );
    expect(stdout.trim().startsWith(path.join(dir, 'node_modules') + path.sep)).toBe(true);
    expect(
      readFileSync(path.join(dir, 'package-lock.json')).equals(readFileSync(path.join(DIST, 'webhook-whatsapp', 'package-lock.json'))),
    ).toBe(true);
  }, 60_000);
});

describe('the bundled webhook-whatsapp under the functions-framework CLI', () => {
  let child: ChildProcess;
  let baseUrl: string;
  let topic: Awaited<ReturnType<typeof createTopicWithSubscription>>;
  const SECRET = 'bundle-app-secret';

  beforeAll(async () => {
    topic = await createTopicWithSubscription('edge-build');
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    child = spawn(
      process.execPath,
      [FF_BIN, '--source', path.join(DIST, 'webhook-whatsapp'), '--target', 'webhookWhatsapp', '--port', String(port)],
      {
        env: { ...process.env, RAW_TOPIC: topic.topic, META_APP_SECRET: SECRET, META_VERIFY_TOKEN: 'bundle-vt', LOG_LEVEL: 'silent' },
        stdio: 'ignore',
      },
    );
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await request(baseUrl, { path: '/healthz-probe' });
        break;
      } catch (err) {
        if (Date.now() > deadline || child.exitCode !== null) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }, 30_000);

  afterAll(() => {
    child?.kill('SIGTERM');
  });

  // A verification is no event: the signed POST below is the first message on the topic.
  it('answers the handshake', async () => {
    const res = await request(baseUrl, { path: '/?hub.mode=subscribe&hub.verify_token=bundle-vt&hub.challenge=31337' });
    expect(res.status).toBe(200);
    expect(res.text).toBe('31337');
  });

  it('answers a signed POST 200 after publishing it', async () => {
    const signed = signedRequest('whatsapp', '{"object":"whatsapp_business_account","entry":[]}', SECRET);
    const res = await request(baseUrl, { method: 'POST', ...signed });
    expect(res.status).toBe(200);
    const messages = await topic.pull(1);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.data.equals(signed.body)).toBe(true);
  });

  it("answers malformed JSON with our JSON 400: the body guard finds the framework's Express from the bundle", async () => {
    const res = await request(baseUrl, { method: 'POST', ...signedRequest('whatsapp', '{"object":', SECRET) });
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({ error: 'malformed_json', message: expect.any(String) });
  });
});
