/**
 * The whole pipeline on one machine: the Pub/Sub and Firestore emulators, every
 * function of topology.json in its own functions-framework process, the
 * topology's topics and push subscriptions, local fakes of the platform APIs
 * for the blocks API (scripts/lib/demo-fakes.ts), and the demo workspace, whose
 * Blocks are connected through the blocks API against those fakes.
 *
 * Used by `npm start` (scripts/start.ts), the end-to-end test and the e2e
 * benchmark. Driven by topology.json only: a function is started when
 * functions/<name>/index.ts (or dist/<name>/index.js) exists, and skipped with
 * a warning otherwise.
 *
 * `stop()` stops exactly what this call started (function processes and the
 * emulators it launched), never an emulator it reused.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { blockSecretsDatabase } from '../../shared/contracts/blocks';
import { topology as defaultTopology, type Topology } from '../../shared/contracts/topology';
import { PLATFORMS, type Platform } from '../../shared/platforms';
import { DEMO_ENV_SECRETS, DEMO_META_APP_ID } from './demo';
import { startDemoFakes, type DemoFakes } from './demo-fakes';
import { seedDemo, type SeedResult } from './demo-seed';
import {
  exportFirestore,
  freePort,
  isUp,
  latestFirestoreExport,
  reuseEmulator,
  startEmulator,
  type EmulatorName,
  type RunningEmulator,
} from './emulators';
import { functionEntryFile, REPO_ROOT, startFunction, type LoadMode, type RunningFunction } from './functions';
import { applyTopology, type TopologyResult } from './pubsub-topology';

export const STACK_DEFAULTS = {
  projectId: 'convotic-local',
  pubsubPort: 8085,
  firestorePort: 8086,
  /** The functions get consecutive ports from here, in topology.json order. */
  functionsPort: 8101,
  /**
   * The local fakes of the Telegram, LINE and Meta Graph APIs get these three
   * consecutive ports: the ones after the functions' (FAKES_PORT sets another first port).
   */
  fakesPort: 8101 + Object.keys(defaultTopology.functions).length,
  logDir: path.join(REPO_ROOT, '.emulators'),
  /** `npm start -- --persist` keeps the Firestore data here (gitignored with the rest of .emulators/). */
  dataDir: path.join(REPO_ROOT, '.emulators', 'data'),
} as const;

/** The port `npm start` gives a function: the first port plus its index in topology.json. */
export function functionPort(name: string, firstPort: number = STACK_DEFAULTS.functionsPort, topology: Topology = defaultTopology): number {
  const index = Object.keys(topology.functions).indexOf(name);
  if (index < 0) throw new StackError(`topology.json has no function ${name}`);
  return firstPort + index;
}

export class StackError extends Error {
  override readonly name = 'StackError';
}

export interface StackOptions {
  projectId?: string;
  /** Reuse the emulator answering at this host:port (e.g. $PUBSUB_EMULATOR_HOST); else start one on `port`. */
  pubsubHost?: string;
  pubsubPort?: number;
  firestoreHost?: string;
  firestorePort?: number;
  /** First function port (consecutive ports in topology order), or 'free' for ports the OS picks. */
  functionsPort?: number | 'free';
  mode?: LoadMode;
  /** Seed the demo workspace (default true). */
  seed?: boolean;
  /**
   * First of the three ports of the platform API fakes (Telegram, LINE, Meta
   * Graph), started when blocks-api runs; 'free' for ports the OS picks.
   * Default: the three after the functions' ports ('free' when functionsPort is).
   */
  fakesPort?: number | 'free';
  /** Where the emulators write their output (default .emulators/). */
  logDir?: string;
  /** Run only these functions (default: all of topology.json); a name topology.json lacks is a StackError. */
  only?: string[];
  /**
   * Keep the Firestore emulator's data here between runs: the emulator this
   * stack starts is seeded from the last export, and exported again on stop().
   * Pub/Sub keeps nothing (its emulator has no persistence). Default: no persistence.
   */
  dataDir?: string;
  /** Extra environment for every function (after the defaults). */
  functionEnv?: Record<string, string>;
  /** Each output line of each function. Default: `[name] line` on stdout. */
  onLine?: (name: string, line: string, stream: 'stdout' | 'stderr') => void;
  /** Progress and warnings meant for a person. Default: stderr. */
  onNotice?: (message: string) => void;
  topology?: Topology;
}

export interface StackFunction {
  name: string;
  url: string;
  port: number;
  trigger: 'http' | 'pubsub';
  entryPoint: string;
  /** Environment variable names given as demo secrets (values in DEMO_ENV_SECRETS). */
  secrets: string[];
}

export interface Stack {
  projectId: string;
  pubsubHost: string;
  firestoreHost: string;
  /** Which emulators this stack started (the others were reused and are left running). */
  started: { pubsub: boolean; firestore: boolean };
  functions: Record<string, StackFunction>;
  /** Functions whose entry file does not exist. */
  skipped: Array<{ name: string; reason: string }>;
  /** Functions that exist but did not start (with the reason and their last output). */
  failed: Array<{ name: string; reason: string }>;
  pubsubTopology: TopologyResult;
  seed: SeedResult | undefined;
  /** The platform API fakes the blocks API talks to (when blocks-api runs), with the demo accounts. */
  fakes: DemoFakes | undefined;
  /** The variables blocks-api got from the stack (API bases, webhook URLs, META_APP_ID), before the runner's environment overrode any. */
  blocksApiEnv: Record<string, string>;
  /** Clients on the stack's emulators, for tools and tests in this process. */
  firestore: Firestore;
  pubsub: PubSub;
  logDir: string;
  /** Where the Firestore data is kept between runs (options.dataDir), and whether this run started from an earlier export. */
  persist?: { dir: string; restoredFrom: string | undefined; active: boolean };
  /** Stops one function and starts it again on the same port (it loads its sources again). */
  restart(name: string): Promise<void>;
  /** Stops every function and every emulator this stack started. Safe to call twice. */
  stop(): Promise<void>;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const ENV_VAR: Record<EmulatorName, string> = { pubsub: 'PUBSUB_EMULATOR_HOST', firestore: 'FIRESTORE_EMULATOR_HOST' };
const PORT_VAR: Record<EmulatorName, string> = { pubsub: 'PUBSUB_PORT', firestore: 'FIRESTORE_PORT' };

async function resolveEmulator(
  name: EmulatorName,
  host: string | undefined,
  port: number,
  projectId: string,
  logDir: string,
  notice: (m: string) => void,
  seedFromExport?: string,
): Promise<RunningEmulator> {
  if (host) {
    if (await isUp(host)) {
      if (seedFromExport)
        notice(`--persist: the ${name} emulator at ${host} was not started here, so its data is neither restored nor saved.`);
      return reuseEmulator(name, host);
    }
    notice(`${ENV_VAR[name]}=${host} does not answer; starting a ${name} emulator on port ${port} instead.`);
  }
  const local = `127.0.0.1:${port}`;
  if (await isUp(local)) {
    notice(`Reusing the ${name} emulator already answering on ${local} (it is left running on exit).`);
    if (seedFromExport)
      notice(`--persist: the ${name} emulator on ${local} was not started here, so its data is neither restored nor saved.`);
    return reuseEmulator(name, local);
  }
  if (!(await portFree(port))) {
    throw new StackError(`Port ${port} is in use by something that is not an emulator; set ${PORT_VAR[name]} to a free port.`);
  }
  return startEmulator(name, { projectId, port, logFile: path.join(logDir, `${name}.log`), seedFromExport });
}

/**
 * The environment of one function process: the runner's environment, then
 * topology.json's `env`, then `local` (what the local stack gives this
 * function, e.g. blocks-api's platform API bases pointing at the local fakes),
 * except that a `local` variable set in the runner's environment keeps that
 * value (WEBHOOK_URL_TELEGRAM=https://<tunnel>/ npm start), then the demo
 * secrets, the emulators, and `extra`.
 */
export function functionEnvironment(
  name: string,
  topology: Topology,
  ctx: {
    projectId: string;
    pubsubHost: string;
    firestoreHost: string;
    local?: Record<string, string>;
    extra?: Record<string, string>;
  },
): Record<string, string> {
  const spec = topology.functions[name];
  if (!spec) throw new StackError(`unknown function ${name}`);
  const inherited = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  const secrets: Record<string, string> = {};
  for (const secret of spec.secrets) {
    const value = DEMO_ENV_SECRETS[secret];
    if (value === undefined)
      throw new StackError(`topology.json gives ${name} the secret ${secret}, which has no local demo value in scripts/lib/demo.ts`);
    secrets[secret] = value;
  }
  const local = Object.fromEntries(Object.entries(ctx.local ?? {}).filter(([key]) => !inherited[key]));
  return {
    ...inherited,
    ...spec.env,
    ...local,
    ...Object.fromEntries(Object.keys(ctx.local ?? {}).flatMap((key) => (inherited[key] ? [[key, inherited[key]]] : []))),
    ...secrets,
    GOOGLE_CLOUD_PROJECT: ctx.projectId,
    GCLOUD_PROJECT: ctx.projectId,
    PUBSUB_EMULATOR_HOST: ctx.pubsubHost,
    FIRESTORE_EMULATOR_HOST: ctx.firestoreHost,
    // The Pub/Sub emulator pushes without an OIDC token, and the local APIs take no caller token:
    // authentication is on everywhere else (docs/configuration.md). `extra` may turn it back on.
    PUSH_AUTH: 'off',
    API_AUTH: 'off',
    LOG_FORMAT: process.env.LOG_FORMAT ?? 'pretty',
    // Off GCP: keeps the Google clients from probing the metadata server (a timeout and a warning per process).
    METADATA_SERVER_DETECTION: 'none',
    // What Cloud Run sets; some libraries read them.
    K_SERVICE: name,
    FUNCTION_TARGET: spec.entry_point,
    ...ctx.extra,
  };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const topology = options.topology ?? defaultTopology;
  const projectId = options.projectId ?? STACK_DEFAULTS.projectId;
  const logDir = options.logDir ?? STACK_DEFAULTS.logDir;
  const mode = options.mode ?? 'source';
  const notice = options.onNotice ?? ((m: string) => process.stderr.write(m + '\n'));
  const onLine = options.onLine ?? ((name: string, line: string) => process.stdout.write(`[${name}] ${line}\n`));
  mkdirSync(logDir, { recursive: true });
  if (options.only) {
    const unknown = options.only.filter((n) => !(n in topology.functions));
    if (unknown.length || options.only.length === 0)
      throw new StackError(
        `${unknown.length ? `no function ${unknown.join(', ')} in topology.json` : 'no function named'}; the functions are: ${Object.keys(topology.functions).join(', ')}`,
      );
  }
  const restoreFrom = options.dataDir ? latestFirestoreExport(options.dataDir) : undefined;

  const emulators: RunningEmulator[] = [];
  const running = new Map<string, RunningFunction>();
  let fakes: DemoFakes | undefined;
  let stopped: Promise<void> | undefined;
  // Set once the stack is up: saves the Firestore data (--persist) after the functions stopped, before the emulator does.
  let beforeEmulatorsStop: (() => Promise<void>) | undefined;
  const stopAll = () =>
    (stopped ??= (async () => {
      await Promise.all([...running.values()].map((f) => f.stop()));
      await fakes?.stop();
      await beforeEmulatorsStop?.();
      await Promise.all(emulators.map((e) => e.stop()));
    })());

  try {
    const [pubsubEmulator, firestoreEmulator] = await Promise.all([
      resolveEmulator('pubsub', options.pubsubHost, options.pubsubPort ?? STACK_DEFAULTS.pubsubPort, projectId, logDir, notice).then(
        (e) => {
          emulators.push(e);
          return e;
        },
      ),
      resolveEmulator(
        'firestore',
        options.firestoreHost,
        options.firestorePort ?? STACK_DEFAULTS.firestorePort,
        projectId,
        logDir,
        notice,
        restoreFrom,
      ).then((e) => {
        emulators.push(e);
        return e;
      }),
    ]);
    const pubsubHost = pubsubEmulator.host;
    const firestoreHost = firestoreEmulator.host;
    const pubsub = new PubSub({ projectId, apiEndpoint: pubsubHost, emulatorMode: true });
    const firestore = new Firestore({ projectId, host: firestoreHost, ssl: false, ignoreUndefinedProperties: true });

    // Ports are fixed per function (topology order) so URLs stay the same from run to run.
    const names = Object.keys(topology.functions).filter((n) => !options.only || options.only.includes(n));
    const skipped: Stack['skipped'] = [];
    const toStart: Array<{ name: string; port: number }> = [];
    for (const name of names) {
      const entry = functionEntryFile(name, mode);
      const base = options.functionsPort ?? STACK_DEFAULTS.functionsPort;
      const port = base === 'free' ? await freePort() : functionPort(name, base, topology);
      if (!existsSync(entry)) {
        const hint = mode === 'dist' ? ' (run `npm run build` first)' : '';
        skipped.push({ name, reason: `${path.relative(REPO_ROOT, entry)} does not exist yet${hint}` });
        continue;
      }
      if (!(await portFree(port))) {
        throw new StackError(
          `Port ${port} for ${name} is in use (is another \`npm start\` running?); set FUNCTIONS_PORT to another first port.`,
        );
      }
      toStart.push({ name, port });
    }
    for (const s of skipped) notice(`WARNING: skipping ${s.name}: ${s.reason}`);

    // blocks-api talks to local fakes of the platform APIs, and registers the local webhook URLs there.
    const ports = new Map(toStart.map((t) => [t.name, t.port]));
    const blocksApiEnv: Record<string, string> = {};
    if (ports.has('blocks-api')) {
      const first = options.fakesPort ?? (options.functionsPort === 'free' ? 'free' : fakesPortAfter(options.functionsPort, topology));
      const fakePorts = first === 'free' ? { telegram: 0, line: 0, meta: 0 } : { telegram: first, line: first + 1, meta: first + 2 };
      for (const port of Object.values(fakePorts)) {
        if (port && !(await portFree(port)))
          throw new StackError(`Port ${port} for the local platform API fakes is in use; set FAKES_PORT to another first port.`);
      }
      fakes = await startDemoFakes(fakePorts);
      Object.assign(blocksApiEnv, fakes.apiBases, { META_APP_ID: DEMO_META_APP_ID });
      for (const platform of PLATFORMS) {
        const port = ports.get(`webhook-${platform}`);
        if (port !== undefined) blocksApiEnv[`WEBHOOK_URL_${platform.toUpperCase()}`] = `http://127.0.0.1:${port}/`;
      }
    }

    const failed: Stack['failed'] = [];
    const functions: Record<string, StackFunction> = {};
    const launch = async (name: string, port: number): Promise<RunningFunction> => {
      const spec = topology.functions[name]!;
      const fn = await startFunction({
        name,
        spec,
        port,
        mode,
        env: functionEnvironment(name, topology, {
          projectId,
          pubsubHost,
          firestoreHost,
          local: name === 'blocks-api' ? blocksApiEnv : undefined,
          extra: options.functionEnv,
        }),
        onLine,
      });
      if (stopped) {
        // stop() ran while this one was starting (a --watch restart): it must not outlive the stack.
        await fn.stop();
        throw new StackError(`${name} started after the stack was stopped`);
      }
      running.set(name, fn);
      functions[name] = { name, url: fn.url, port, trigger: spec.trigger, entryPoint: spec.entry_point, secrets: spec.secrets };
      void fn.exited.then((code) => {
        // A restart replaces the process on purpose: only the current one's exit is news.
        if (!stopped && running.get(name) === fn)
          notice(`ERROR: ${name} exited (${code}); the rest of the stack keeps running. Restart \`npm start\` after fixing it.`);
      });
      return fn;
    };
    await Promise.all(
      toStart.map(async ({ name, port }) => {
        try {
          await launch(name, port);
        } catch (err) {
          failed.push({ name, reason: (err as Error).message });
          notice(`ERROR: ${name} did not start: ${(err as Error).message}`);
        }
      }),
    );
    const restart = async (name: string): Promise<void> => {
      const port = ports.get(name);
      if (port === undefined) throw new StackError(`${name} is not one of the functions this stack runs`);
      const old = running.get(name);
      running.delete(name);
      await old?.stop();
      if (stopped) return;
      await launch(name, port);
      const i = failed.findIndex((f) => f.name === name);
      if (i >= 0) failed.splice(i, 1);
    };

    const persistDir = options.dataDir;
    const persisting = persistDir !== undefined && firestoreEmulator.pid !== undefined;
    if (persisting) {
      beforeEmulatorsStop = async () => {
        try {
          const saved = await exportFirestore(firestoreHost, projectId, persistDir);
          notice(`Saved the Firestore data in ${path.relative(process.cwd(), path.dirname(saved)) || saved}.`);
        } catch (err) {
          notice(`ERROR: could not save the Firestore data in ${persistDir}: ${(err as Error).message}`);
        }
      };
    }

    // In topology order (they finished starting in any order).
    const ordered = Object.fromEntries(names.filter((n) => functions[n]).map((n) => [n, functions[n]!]));
    // With --only, another stack may own the other functions' subscriptions: those are left as they are.
    const only = options.only;
    const pubsubTopology = await applyTopology(pubsub, projectId, topology, (name) => functions[name]?.url, {
      owns: only ? (name) => only.includes(name) : undefined,
    });

    // After the topology: connecting publishes platform.block.connected, and the platforms call the webhook functions.
    const seed =
      options.seed === false
        ? undefined
        : await seedThroughBlocksApi(firestore, { projectId, host: firestoreHost }, functions['blocks-api']?.url, (p) =>
            Boolean(functions[`webhook-${p}`]),
          );
    for (const f of seed?.failed ?? []) notice(`ERROR: the demo ${f.platform} Block was not connected: ${f.reason}`);

    return {
      projectId,
      pubsubHost,
      firestoreHost,
      started: { pubsub: pubsubEmulator.pid !== undefined, firestore: firestoreEmulator.pid !== undefined },
      functions: ordered,
      skipped,
      failed,
      pubsubTopology,
      seed,
      fakes,
      blocksApiEnv,
      firestore,
      pubsub,
      logDir,
      persist:
        persistDir === undefined ? undefined : { dir: persistDir, restoredFrom: persisting ? restoreFrom : undefined, active: persisting },
      restart,
      stop: async () => {
        await stopAll();
        await Promise.allSettled([firestore.terminate(), pubsub.close()]);
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** The first port of the platform API fakes: the one after the functions' ports. */
export function fakesPortAfter(functionsPort: number | undefined, topology: Topology = defaultTopology): number {
  return (functionsPort ?? STACK_DEFAULTS.functionsPort) + Object.keys(topology.functions).length;
}

/**
 * Seeds the demo: the Blocks through the blocks API when it runs (the Block
 * secrets database is read and, for a direct write, written through a client
 * used only for that; shared/contracts/blocks.ts).
 */
async function seedThroughBlocksApi(
  firestore: Firestore,
  at: { projectId: string; host: string },
  blocksApiUrl: string | undefined,
  webhookRuns: (platform: Platform) => boolean,
): Promise<SeedResult> {
  const secrets = new Firestore({ ...at, databaseId: blockSecretsDatabase(), ssl: false, ignoreUndefinedProperties: true });
  try {
    return await seedDemo({ stores: { registry: firestore, secrets }, blocksApiUrl, webhooks: PLATFORMS.filter(webhookRuns) });
  } finally {
    await secrets.terminate();
  }
}
