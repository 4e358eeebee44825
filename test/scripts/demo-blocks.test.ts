/**
 * The demo workspace npm start connects through the blocks API: its Block ids
 * are the ones the API gives, its credentials are what the connectors accept,
 * and blocks-api's environment on the local stack points at the local fakes
 * unless the runner's environment says otherwise.
 */
import { blockIdFor } from '../../shared/blocks/service';
import { PLATFORMS } from '../../shared/platforms';
import { platformModule } from '../../shared/platforms/registry';
import { DEMO_BLOCKS, DEMO_WORKSPACE_ID, demoConnectRequest } from '../../scripts/lib/demo';
import { fakesPortAfter, functionEnvironment, STACK_DEFAULTS } from '../../scripts/lib/stack';
import { topology } from '../../shared/contracts/topology';

const ctx = { projectId: 'p', pubsubHost: 'h:1', firestoreHost: 'h:2' };

describe('the demo Blocks', () => {
  it.each(PLATFORMS)('%s: the block id is the blocks API’s, and the connector takes the demo credentials', async (platform) => {
    const { block } = DEMO_BLOCKS[platform];
    expect(block.block_id).toBe(blockIdFor(platform, block.account_id, DEMO_WORKSPACE_ID));
    const request = demoConnectRequest(platform);
    expect(request.platform).toBe(platform);
    await expect(
      Promise.resolve().then(() => platformModule(platform).connector!.parseCredentials(request.credentials)),
    ).resolves.toBeDefined();
  });
});

describe('blocks-api on the local stack', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('gets the local values over topology.json’s', () => {
    delete process.env.TELEGRAM_API_BASE;
    delete process.env.META_APP_ID;
    const env = functionEnvironment('blocks-api', topology, {
      ...ctx,
      local: { TELEGRAM_API_BASE: 'http://127.0.0.1:9001', META_APP_ID: '100000000000001' },
    });
    expect(env.TELEGRAM_API_BASE).toBe('http://127.0.0.1:9001');
    expect(env.META_APP_ID).toBe('100000000000001');
    expect(env.META_APP_SECRET).toEqual(expect.any(String));
  });

  it('keeps a value set in the runner’s environment (a real platform through a tunnel)', () => {
    process.env.TELEGRAM_API_BASE = 'https://api.telegram.org';
    process.env.WEBHOOK_URL_TELEGRAM = 'https://tunnel.example/';
    const env = functionEnvironment('blocks-api', topology, {
      ...ctx,
      local: {
        TELEGRAM_API_BASE: 'http://127.0.0.1:9001',
        WEBHOOK_URL_TELEGRAM: 'http://127.0.0.1:8105/',
        LINE_API_BASE: 'http://127.0.0.1:9002',
      },
    });
    expect(env).toEqual(
      expect.objectContaining({
        TELEGRAM_API_BASE: 'https://api.telegram.org',
        WEBHOOK_URL_TELEGRAM: 'https://tunnel.example/',
        LINE_API_BASE: 'http://127.0.0.1:9002',
      }),
    );
  });

  it('the fakes’ ports follow the functions’', () => {
    expect(STACK_DEFAULTS.fakesPort).toBe(STACK_DEFAULTS.functionsPort + Object.keys(topology.functions).length);
    expect(fakesPortAfter(9101)).toBe(9101 + Object.keys(topology.functions).length);
  });
});
