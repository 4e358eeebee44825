/**
 * What the HTTP bench parts (edge, normalizer-push) share: a functions-framework
 * server in a process of its own, autocannon to load it, and a topic on the
 * Pub/Sub emulator's REST API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../build';
import { freePort } from '../lib/emulators';

// autocannon ships no types; the part of its API used here.
export interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<AutocannonResult>;

export const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 6);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const FF_MAIN = path.join(ROOT, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js');

export interface Server {
  child: ChildProcess;
  url: string;
  /** performance.now() at spawn, for cold starts. */
  startedAt: number;
}

/** The functions-framework CLI with `args` (`--source`, `--target`…) on a free port, in production mode. */
export async function startServer(
  args: string[],
  env: Record<string, string>,
  options: { stderr?: 'inherit' | 'ignore' } = {},
): Promise<Server> {
  const port = await freePort();
  const startedAt = performance.now();
  const child = spawn(process.execPath, [FF_MAIN, ...args, '--port', String(port)], {
    env: { ...process.env, ...env, NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', options.stderr ?? 'ignore'],
  });
  return { child, url: `http://127.0.0.1:${port}`, startedAt };
}

export function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null) return resolve();
    server.child.once('exit', () => resolve());
    server.child.kill('SIGTERM');
  });
}

export async function createTopic(pubsubHost: string, project: string, topic: string): Promise<void> {
  const res = await fetch(`http://${pubsubHost}/v1/projects/${project}/topics/${topic}`, { method: 'PUT' });
  if (!res.ok && res.status !== 409) throw new Error(`create topic: ${res.status} ${await res.text()}`);
}
