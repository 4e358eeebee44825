/**
 * The stack `npm run chaos` breaks: its own Pub/Sub and Firestore emulators
 * (started here, so their process groups can be paused with SIGSTOP and
 * resumed with SIGCONT), every function of topology.json on ports the OS
 * picks, the demo workspace, and a second workspace with a Messenger page of
 * its own (the small body sent beside the big one).
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { Firestore } from '@google-cloud/firestore';
import { blockSecretsDatabase, saveBlock, type Block } from '../../../shared/contracts/blocks';
import { topology } from '../../../shared/contracts/topology';
import { demoBlockId, DEMO_BLOCKS } from '../demo';
import { startEmulator, type RunningEmulator } from '../emulators';
import { pushEndpoint } from '../pubsub-topology';
import { startStack, type Stack } from '../stack';

/** The second workspace's Messenger page (not a demo account). */
export const OTHER_WORKSPACE = 'ws_chaos_other';
export const OTHER_PAGE = '105000000000777';
export const OTHER_BLOCK: Block = {
  block_id: demoBlockId('messenger', OTHER_PAGE),
  workspace_id: OTHER_WORKSPACE,
  platform: 'messenger',
  account_id: OTHER_PAGE,
  name: 'Chaos second page',
  status: 'connected',
};
export const DEMO_PAGE = DEMO_BLOCKS.messenger.block.account_id;

const NORMALIZER_SUBSCRIPTION = Object.entries(topology.subscriptions).find(([, s]) => s.push_to === 'normalizer')![0];

export interface ChaosStack {
  stack: Stack;
  pubsub: RunningEmulator;
  firestore: RunningEmulator;
  /** Pauses an emulator's whole process group for `seconds` (SIGSTOP, then SIGCONT). */
  stall(emulator: RunningEmulator, seconds: number): Promise<void>;
  /** The normalizer is killed and started again, and unreachable for `seconds` meanwhile. */
  normalizerDown(seconds: number): Promise<void>;
  stop(): Promise<void>;
}

/** A port nothing listens on: pushes to it fail at once, as to a dead instance. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startChaosStack(logDir: string, onLine: (fn: string, line: string) => void): Promise<ChaosStack> {
  mkdirSync(logDir, { recursive: true });
  const projectId = `convotic-chaos-${Date.now().toString(36)}`;
  const [pubsub, firestore] = await Promise.all([
    startEmulator('pubsub', { projectId, logFile: path.join(logDir, 'pubsub.log') }),
    startEmulator('firestore', { projectId, logFile: path.join(logDir, 'firestore.log') }),
  ]);
  let stack: Stack;
  try {
    stack = await startStack({
      projectId,
      pubsubHost: pubsub.host,
      firestoreHost: firestore.host,
      functionsPort: 'free',
      logDir,
      functionEnv: { LOG_FORMAT: 'json', LOG_LEVEL: 'info' },
      onLine,
      onNotice: (m) => onLine('stack', m),
    });
  } catch (err) {
    await Promise.all([pubsub.stop(), firestore.stop()]);
    throw err;
  }
  const secrets = new Firestore({ projectId, host: firestore.host, ssl: false, databaseId: blockSecretsDatabase() });
  await saveBlock({ registry: stack.firestore, secrets }, OTHER_BLOCK);
  await secrets.terminate();

  const signal = (emulator: RunningEmulator, sig: NodeJS.Signals) => {
    if (emulator.pid === undefined) throw new Error(`the ${emulator.name} emulator was not started here`);
    process.kill(-emulator.pid, sig);
  };
  const pointNormalizer = (base: string) =>
    stack.pubsub.subscription(NORMALIZER_SUBSCRIPTION).modifyPushConfig({ pushEndpoint: pushEndpoint(base, projectId, 'webhook-raw') });

  return {
    stack,
    pubsub,
    firestore,
    async stall(emulator, seconds) {
      signal(emulator, 'SIGSTOP');
      try {
        await sleep(seconds * 1000);
      } finally {
        signal(emulator, 'SIGCONT');
      }
    },
    async normalizerDown(seconds) {
      await pointNormalizer(`http://127.0.0.1:${await deadPort()}`);
      await stack.restart('normalizer');
      await sleep(seconds * 1000);
      await pointNormalizer(stack.functions.normalizer!.url);
    },
    async stop() {
      await stack.stop();
      await Promise.all([pubsub.stop(), firestore.stop()]);
    },
  };
}
