/**
 * `npm start -- --only X` beside a stack already running on the same
 * emulators: the run repoints the subscriptions of X only. The others keep
 * pushing to the functions of the stack already running (they used to be
 * cleared, silently stopping contacts, triggers and the log).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PubSub } from '@google-cloud/pubsub';
import { applyTopology } from '../../scripts/lib/pubsub-topology';
import { startStack, type Stack } from '../../scripts/lib/stack';
import { topology } from '../../shared/contracts/topology';

jest.setTimeout(120_000);

const projectId = `convotic-only-${Date.now().toString(36)}`;
const running = (name: string) => `http://127.0.0.1:9400/${name}`;
let pubsub: PubSub;
let stack: Stack | undefined;

beforeAll(async () => {
  pubsub = new PubSub({ projectId, apiEndpoint: process.env.PUBSUB_EMULATOR_HOST, emulatorMode: true });
  // The stack already running: every subscription pushes to its functions.
  await applyTopology(pubsub, projectId, topology, running);
  stack = await startStack({
    projectId,
    pubsubHost: process.env.PUBSUB_EMULATOR_HOST,
    firestoreHost: process.env.FIRESTORE_EMULATOR_HOST,
    functionsPort: 'free',
    only: ['contacts'],
    seed: false,
    logDir: mkdtempSync(path.join(tmpdir(), 'convotic-only-')),
    onLine: () => undefined,
    onNotice: () => undefined,
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await pubsub.close();
});

it('repoints only the subscriptions of the functions it runs', async () => {
  const endpoints = Object.fromEntries(
    await Promise.all(
      Object.entries(topology.subscriptions)
        .filter(([, s]) => s.push_to)
        .map(async ([name]) => [name, (await pubsub.subscription(name).getMetadata())[0].pushConfig?.pushEndpoint ?? ''] as const),
    ),
  );
  const contactsUrl = stack!.functions.contacts!.url;
  for (const [name, spec] of Object.entries(topology.subscriptions)) {
    if (!spec.push_to) continue;
    const expected = spec.push_to === 'contacts' ? contactsUrl : running(spec.push_to);
    expect([name, endpoints[name]]).toEqual([name, expect.stringContaining(expected)]);
  }
  expect(stack!.pubsubTopology.untouched).toContain('event-log');
  expect(stack!.pubsubTopology.untouched).not.toContain('contacts');
});
