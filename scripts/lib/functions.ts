/**
 * Runs one function of topology.json in its own functions-framework process,
 * in its own process group (so stopping it stops everything it spawned, and a
 * Ctrl-C in the terminal reaches only the runner, which stops children in order).
 *
 * Two ways to load a function:
 *   source  functions/<name>/index.ts through tsx (`node --import tsx`): no build
 *           step, a restart picks up every edit; startup ~1 s per function.
 *   dist    dist/<name>/index.js from `npm run build`: what production runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { FunctionSpec } from '../../shared/contracts/topology';

export type LoadMode = 'source' | 'dist';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
// The package's exports map hides build/src/main.js (the CLI); it sits next to the main module.
const FRAMEWORK_MAIN = path.join(path.dirname(require.resolve('@google-cloud/functions-framework', { paths: [REPO_ROOT] })), 'main.js');

/** Preloaded into each function process so that it listens on 127.0.0.1, not on every interface. */
export const LOOPBACK_PRELOAD = path.join(__dirname, 'loopback.cjs');

/** The file a function is loaded from; the convention is one folder per function, named as in topology.json. */
export function functionEntryFile(name: string, mode: LoadMode, root = REPO_ROOT): string {
  return mode === 'source' ? path.join(root, 'functions', name, 'index.ts') : path.join(root, 'dist', name, 'index.js');
}

export class FunctionStartError extends Error {
  override readonly name = 'FunctionStartError';
}

export interface RunningFunction {
  readonly name: string;
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly pid: number | undefined;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  readonly exited: Promise<number | string | null>;
  stop(): Promise<void>;
}

export interface StartFunctionOptions {
  name: string;
  spec: FunctionSpec;
  port: number;
  env: Record<string, string>;
  mode: LoadMode;
  root?: string;
  /** Every output line of the process (the framework's start banner excluded). */
  onLine: (name: string, line: string, stream: 'stdout' | 'stderr') => void;
  timeoutMs?: number;
}

/** The framework prints these four lines when it starts; the runner prints its own summary instead. */
const BANNER = /^(Serving function\.\.\.|Function: \S+|Signature type: \S+|URL: http:\/\/localhost:\d+\/)$/;

/** Whether something accepts TCP connections at host:port within timeoutMs. */
export function portAnswers(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(timeoutMs);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

function stopGroup(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  const pid = child.pid;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      /* already gone */
    }
  };
  signal('SIGTERM');
  const force = setTimeout(() => signal('SIGKILL'), 3000);
  return exited.then(() => clearTimeout(force));
}

export async function startFunction(options: StartFunctionOptions): Promise<RunningFunction> {
  const { name, spec, port, mode } = options;
  const root = options.root ?? REPO_ROOT;
  const entry = functionEntryFile(name, mode, root);
  if (!existsSync(entry)) throw new FunctionStartError(`${path.relative(root, entry)} does not exist`);
  const args = [
    // Listen on 127.0.0.1 only (the framework's CLI has no --host): see loopback.cjs.
    '--require',
    LOOPBACK_PRELOAD,
    ...(mode === 'source' ? ['--import', 'tsx'] : []),
    FRAMEWORK_MAIN,
    `--target=${spec.entry_point}`,
    `--source=${entry}`,
    `--port=${port}`,
    '--signature-type=http',
  ];
  const child = spawn(process.execPath, args, {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env,
  });
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, sig) => resolve(code ?? sig)));
  const tail: string[] = [];
  let ready = false;
  for (const stream of ['stdout', 'stderr'] as const) {
    createInterface({ input: child[stream], crlfDelay: Infinity }).on('line', (line) => {
      if (!ready) {
        tail.push(line);
        if (tail.length > 30) tail.shift();
      }
      if (!BANNER.test(line)) options.onLine(name, line, stream);
    });
  }
  const running: RunningFunction = {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    exited,
    stop: () => stopGroup(child, exited),
  };

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let exitCode: number | string | null | undefined;
  void exited.then((code) => (exitCode = code));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new FunctionStartError(
        `exited (${exitCode}) before listening on port ${port}` + (tail.length ? `; its last output:\n    ${tail.join('\n    ')}` : ''),
      );
    }
    if (await portAnswers(port)) {
      ready = true;
      return running;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await running.stop();
  throw new FunctionStartError(`did not listen on port ${port} within ${options.timeoutMs ?? 60_000} ms`);
}
