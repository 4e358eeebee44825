/**
 * npm start's Pub/Sub topology on the emulator: a run with --only repoints
 * the subscriptions of the functions it runs and leaves every other one as
 * another stack set it (it used to clear their push endpoints, silently
 * stopping contacts, triggers and the log of the stack already running).
 */
import { PubSub } from '@google-cloud/pubsub';
import { applyTopology } from '../../scripts/lib/pubsub-topology';
import { topology } from '../../shared/contracts/topology';
import { uniqueName } from '../helpers/names';

const projectId = uniqueName('convotic-topology').replace(/_/g, '-');
let pubsub: PubSub;

beforeAll(() => {
  pubsub = new PubSub({ projectId, apiEndpoint: process.env.PUBSUB_EMULATOR_HOST, emulatorMode: true });
});
afterAll(async () => {
  await pubsub.close();
});

const endpointOf = async (name: string): Promise<string> => {
  const [meta] = await pubsub.subscription(name).getMetadata();
  return meta.pushConfig?.pushEndpoint ?? '';
};

it('with --only, repoints only the subscriptions of the functions it runs', async () => {
  const full = (name: string) => `http://127.0.0.1:9001/${name}`;
  await applyTopology(pubsub, projectId, topology, full);

  const mineOnly = (name: string) => (name === 'normalizer' ? 'http://127.0.0.1:9002/normalizer' : undefined);
  const result = await applyTopology(pubsub, projectId, topology, mineOnly, { owns: (name) => name === 'normalizer' });

  const pushed = Object.entries(topology.subscriptions).filter(([, spec]) => spec.push_to);
  expect(pushed.length).toBeGreaterThan(3);
  for (const [name, spec] of pushed) {
    const expected = spec.push_to === 'normalizer' ? 'http://127.0.0.1:9002/normalizer' : full(spec.push_to!);
    expect([name, await endpointOf(name)]).toEqual([name, expect.stringContaining(expected)]);
  }
  expect(result.untouched.sort()).toEqual(
    pushed
      .filter(([, spec]) => spec.push_to !== 'normalizer')
      .map(([name]) => name)
      .sort(),
  );
  expect(result.withoutEndpoint).toEqual([]);
});

it('without --only, a function that is not running gets no endpoint (its messages wait for it)', async () => {
  const result = await applyTopology(pubsub, projectId, topology, (name) =>
    name === 'normalizer' ? 'http://127.0.0.1:9003/normalizer' : undefined,
  );
  const [contacts] = Object.entries(topology.subscriptions).find(([, spec]) => spec.push_to === 'contacts')!;
  expect(await endpointOf(contacts)).toBe('');
  expect(result.withoutEndpoint).toContain(contacts);
  expect(result.untouched).toEqual([]);
});
