/**
 * Starts and stops the gcloud Pub/Sub and Firestore emulators.
 *
 * Used by the jest global setup and by `npm start`. We run the SDK's launchers
 * under `platform/` directly, each detached into its own process group: the
 * `gcloud` wrapper does not forward signals, so stopping it would orphan the JVM.
 * Stopping a handle kills the whole group.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

export type EmulatorName = 'pubsub' | 'firestore';

export interface RunningEmulator {
  readonly name: EmulatorName;
  /** host:port, the value of PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST. */
  readonly host: string;
  /** Process id of the group leader; undefined when we reuse an emulator we did not start. */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

export class EmulatorSetupError extends Error {
  override readonly name = 'EmulatorSetupError';
}

const INSTALL_HINT =
  'Install the Google Cloud CLI (https://cloud.google.com/sdk/docs/install) with its emulator components: ' +
  '`gcloud components install pubsub-emulator cloud-firestore-emulator beta` ' +
  '(or the Debian packages google-cloud-cli-pubsub-emulator and google-cloud-cli-firestore-emulator), and Java 17+.';

/** Finds the Cloud SDK root: $CLOUDSDK_ROOT, else the real path of `gcloud` on the PATH. */
export function findSdkRoot(): string {
  const fromEnv = process.env.CLOUDSDK_ROOT;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'gcloud');
    if (existsSync(candidate)) return path.resolve(path.dirname(realpathSync(candidate)), '..');
  }
  throw new EmulatorSetupError(`gcloud was not found on the PATH. ${INSTALL_HINT}`);
}

function assertJava(): void {
  const probe = spawnSync(process.env.JAVA ?? 'java', ['-version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    throw new EmulatorSetupError(`Java was not found (the emulators run on the JVM). ${INSTALL_HINT}`);
  }
}

function launcher(sdkRoot: string, name: EmulatorName): string {
  const file =
    name === 'pubsub'
      ? path.join(sdkRoot, 'platform', 'pubsub-emulator', 'bin', 'cloud-pubsub-emulator')
      : path.join(sdkRoot, 'platform', 'cloud-firestore-emulator', 'cloud_firestore_emulator');
  if (!existsSync(file)) {
    throw new EmulatorSetupError(`The ${name} emulator is not installed (looked for ${file}). ${INSTALL_HINT}`);
  }
  return file;
}

/** Asks the OS for a free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** True when an emulator answers `GET /` at host (both answer "Ok"). */
export async function isUp(host: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

async function waitUntilUp(host: string, child: ChildProcess, name: EmulatorName, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new EmulatorSetupError(`The ${name} emulator exited with code ${child.exitCode} before answering on ${host}.`);
    }
    if (await isUp(host)) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new EmulatorSetupError(`The ${name} emulator did not answer on ${host} within ${timeoutMs} ms.`);
}

function killGroup(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
    const pid = child.pid;
    const force = setTimeout(() => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 3000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      clearTimeout(force);
      resolve();
    }
  });
}

export interface StartOptions {
  projectId: string;
  /** Port to bind; a free one is chosen when omitted. */
  port?: number;
  /** File for the emulator's output; discarded when omitted (the Firestore emulator is very chatty). */
  logFile?: string;
  timeoutMs?: number;
  /** Firestore only: start from this export (the `.overall_export_metadata` file exportFirestore wrote). */
  seedFromExport?: string;
}

/** Starts one emulator in its own process group and resolves once it answers. */
export async function startEmulator(name: EmulatorName, options: StartOptions): Promise<RunningEmulator> {
  const sdkRoot = findSdkRoot();
  const bin = launcher(sdkRoot, name);
  assertJava();
  const port = options.port ?? (await freePort());
  const host = `127.0.0.1:${port}`;
  const args = name === 'pubsub' ? [`--host=127.0.0.1`, `--port=${port}`] : ['start', `--host=127.0.0.1`, `--port=${port}`];
  if (name === 'firestore' && options.seedFromExport) args.push(`--seed_from_export=${options.seedFromExport}`);
  const out = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
  const child = spawn(bin, args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, CLOUDSDK_CORE_DISABLE_PROMPTS: '1' },
  });
  if (typeof out === 'number') closeSync(out);
  try {
    await waitUntilUp(host, child, name, options.timeoutMs ?? 60_000);
  } catch (err) {
    await killGroup(child);
    throw err;
  }
  return { name, host, pid: child.pid, stop: () => killGroup(child) };
}

/** Uses an emulator already answering at `host` (we did not start it, so we never stop it). */
export function reuseEmulator(name: EmulatorName, host: string): RunningEmulator {
  return { name, host, pid: undefined, stop: async () => undefined };
}

/*
 * Keeping the Firestore emulator's data between runs (`npm start -- --persist`).
 * Checked against the emulator of gcloud 528: its own `--export-on-exit` flag
 * writes nothing when the process is stopped with SIGTERM, and the Pub/Sub
 * emulator has no persistence at all (`gcloud beta emulators pubsub start
 * --data-dir` only holds the gcloud wrapper's env.yaml). So the runner asks
 * the running Firestore emulator for an export over HTTP before stopping it
 * (what the Firebase CLI does), and starts the next one with
 * `--seed_from_export`. Only the (default) database is exported; the Block
 * secrets database is written again by the demo seed.
 */

/** The newest export in `dir` (its `.overall_export_metadata` file), or undefined. */
export function latestFirestoreExport(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const exports = readdirSync(dir)
    .filter((d) => d.startsWith('firestore_export_') && existsSync(path.join(dir, d, `${d}.overall_export_metadata`)))
    .sort((a, b) => Number(a.slice(17)) - Number(b.slice(17)));
  const last = exports[exports.length - 1];
  return last ? path.join(dir, last, `${last}.overall_export_metadata`) : undefined;
}

/** Exports the (default) database of the emulator at `host` into `dir`, then removes the older exports there. */
export async function exportFirestore(host: string, projectId: string, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const res = await fetch(`http://${host}/emulator/v1/projects/${encodeURIComponent(projectId)}:export`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ database: `projects/${projectId}/databases/(default)`, export_directory: dir }),
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new EmulatorSetupError(`the Firestore emulator refused the export: ${res.status} ${await res.text()}`);
  const latest = latestFirestoreExport(dir);
  if (!latest) throw new EmulatorSetupError(`the Firestore emulator answered the export, but ${dir} holds none`);
  const keep = path.basename(path.dirname(latest));
  for (const d of readdirSync(dir))
    if (d.startsWith('firestore_export_') && d !== keep) rmSync(path.join(dir, d), { recursive: true, force: true });
  return latest;
}
