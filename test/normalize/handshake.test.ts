import { normalize } from '../../shared/normalize/normalize';
import { validateEnvelope } from '../../shared/envelope';
import type { Router } from '../../shared/normalize/router';

const record = { kind: 'webhook.verified', platform: 'instagram', verified_at: '2024-03-31T10:00:00.000Z', verify_token_index: 0 };
const noBlocks: Router = {
  byAccounts: async () => undefined,
  byBlockId: async (id) => (id === 'blk_ig' ? { workspaceId: 'ws_ig', blockId: 'blk_ig' } : undefined),
};
const handshake = (body: unknown, extra: Record<string, string> = {}) =>
  normalize(
    {
      platform: 'instagram',
      kind: 'handshake',
      body: JSON.stringify(body),
      receivedAt: '2024-03-31T10:00:00.100Z',
      requestId: 'r',
      ...extra,
    },
    noBlocks,
  );

describe('handshake records', () => {
  it('become platform.webhook.verified for the Block the record names', async () => {
    const { envelopes, rejections } = await handshake({ ...record, block_id: 'blk_ig' });
    expect(rejections).toEqual([]);
    expect(envelopes).toMatchObject([
      {
        type: 'platform.webhook.verified',
        workspace_id: 'ws_ig',
        block_id: 'blk_ig',
        timestamp: record.verified_at,
        data: { verified_at: record.verified_at },
      },
    ]);
    expect(validateEnvelope(envelopes[0])).toMatchObject({ ok: true });
  });

  it('use the edge attributes when they name the Block', async () => {
    const { envelopes } = await handshake(record, { blockId: 'blk_attr', workspaceId: 'ws_attr' });
    expect(envelopes).toMatchObject([{ workspace_id: 'ws_attr', block_id: 'blk_attr' }]);
  });

  it('naming no Block are rejected as unroutable with the reason', async () => {
    const { envelopes, rejections } = await handshake(record);
    expect(envelopes).toEqual([]);
    expect(rejections).toMatchObject([
      { reason: 'unroutable', path: '', raw: record, detail: expect.stringMatching(/no connected Block/) },
    ]);
  });

  it('that are not records are unparseable', async () => {
    const { rejections } = await handshake({ kind: 'something.else' });
    expect(rejections).toMatchObject([{ reason: 'unparseable', detail: expect.stringMatching(/webhook\.verified/) }]);
  });
});
