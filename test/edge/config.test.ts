import { loadEdgeConfig } from '../../shared/edge/config';
import { ConfigError } from '../../shared/runtime/env';
import { parseRawAttributes, rawAttributes } from '../../shared/contracts/raw-message';
import { TOPIC_SETTINGS } from '../../shared/contracts/topics';

describe('loadEdgeConfig', () => {
  it('uses the documented defaults', () => {
    expect(loadEdgeConfig('line', {})).toEqual({
      platform: 'line',
      rawTopic: TOPIC_SETTINGS.raw.default,
      maxBodyBytes: 1048576,
      publishTimeoutMs: 10000,
      registryTimeoutMs: 5000,
      appSecrets: [],
      verifyTokens: [],
    });
  });

  it('reads comma-separated Meta secrets, current first, ignoring blanks', () => {
    const config = loadEdgeConfig('whatsapp', { META_APP_SECRET: ' new , old ,', META_VERIFY_TOKEN: 'vt' });
    expect(config.appSecrets).toEqual(['new', 'old']);
    expect(config.verifyTokens).toEqual(['vt']);
  });

  it('lets the per-platform variables win over the Meta-wide ones', () => {
    const env = { META_APP_SECRET: 'shared', INSTAGRAM_APP_SECRET: 'ig', META_VERIFY_TOKEN: 'vt', MESSENGER_VERIFY_TOKEN: 'm' };
    expect(loadEdgeConfig('instagram', env).appSecrets).toEqual(['ig']);
    expect(loadEdgeConfig('messenger', env).appSecrets).toEqual(['shared']);
    expect(loadEdgeConfig('messenger', env).verifyTokens).toEqual(['m']);
  });

  it('never gives LINE or Telegram the Meta secrets', () => {
    expect(loadEdgeConfig('telegram', { META_APP_SECRET: 's' }).appSecrets).toEqual([]);
  });

  it.each(['0', '-1', 'abc', '1.5'])('refuses EDGE_MAX_BODY_BYTES=%s at load', (value) => {
    expect(() => loadEdgeConfig('line', { EDGE_MAX_BODY_BYTES: value })).toThrow(ConfigError);
  });

  it.each(['0', 'abc', '2.5'])('refuses EDGE_REGISTRY_TIMEOUT_MS=%s at load', (value) => {
    expect(() => loadEdgeConfig('line', { EDGE_REGISTRY_TIMEOUT_MS: value })).toThrow(ConfigError);
  });
});

describe('raw message attributes', () => {
  it('round-trip, dropping unset optional attributes', () => {
    const attrs = {
      platform: 'line' as const,
      received_at: '2026-03-31T10:15:30.000Z',
      request_id: 'r1',
      kind: 'webhook' as const,
      content_type: 'application/json',
      block_id: 'b',
    };
    const wire = rawAttributes(attrs);
    expect(wire).not.toHaveProperty('workspace_id');
    expect(parseRawAttributes(wire)).toEqual(attrs);
  });

  it('refuse an unknown platform or kind', () => {
    const wire = { platform: 'icq', received_at: 'x', request_id: 'r', kind: 'webhook' };
    expect(parseRawAttributes(wire)).toBeUndefined();
    expect(parseRawAttributes({ ...wire, platform: 'line', kind: 'other' })).toBeUndefined();
  });
});
