/** The triggers subscriber's settings, in particular the causation chain depth. */
import { MAX_CAUSATION_CHAIN } from '../../shared/envelope';
import { DEFAULT_MAX_CHAIN_DEPTH, triggersConfig } from '../../shared/triggers/config';

describe('TRIGGERS_MAX_CHAIN_DEPTH', () => {
  it('defaults to 8 and reads a value', () => {
    expect(DEFAULT_MAX_CHAIN_DEPTH).toBe(8);
    expect(triggersConfig({}).maxChainDepth).toBe(8);
    expect(triggersConfig({ TRIGGERS_MAX_CHAIN_DEPTH: '3' }).maxChainDepth).toBe(3);
  });

  it.each(['0', '2.5', 'deep', String(MAX_CAUSATION_CHAIN + 1)])('refuses %s, naming the variable', (value) => {
    expect(() => triggersConfig({ TRIGGERS_MAX_CHAIN_DEPTH: value })).toThrow(/TRIGGERS_MAX_CHAIN_DEPTH/);
  });

  it('allows up to the schema bound on a chain', () => {
    expect(triggersConfig({ TRIGGERS_MAX_CHAIN_DEPTH: String(MAX_CAUSATION_CHAIN) }).maxChainDepth).toBe(MAX_CAUSATION_CHAIN);
  });
});
