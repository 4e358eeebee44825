import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { contactId, conversationId, eventId, executionId, hashId, messageId } from '../../shared/envelope';

describe('deterministic ids', () => {
  const base = { platform: 'instagram', blockId: 'blk_1', type: 'messaging.message.received', rawId: 'mid.$abc' };

  it('gives the same event the same id every time', () => {
    expect(eventId(base)).toBe(eventId({ ...base }));
  });

  it.each([
    ['platform', { platform: 'messenger' }],
    ['block', { blockId: 'blk_2' }],
    ['type', { type: 'messaging.message.sent' }],
    ['platform event id', { rawId: 'mid.$abd' }],
    ['discriminator', { discriminator: ['read'] }],
  ])('changes when the %s changes', (_name, change) => {
    expect(eventId({ ...base, ...change })).not.toBe(eventId(base));
  });

  it('does not let parts run into each other', () => {
    expect(hashId('x', ['a:b', 'c'])).not.toBe(hashId('x', ['a', 'b:c']));
    expect(hashId('x', ['ab', ''])).not.toBe(hashId('x', ['a', 'b']));
  });

  it('has the prefix and 26 lowercase base32 characters', () => {
    for (const id of [
      eventId(base),
      contactId('ws', 'blk', 'u'),
      conversationId('ws', 'blk', 'u'),
      messageId('blk', 'mid'),
      executionId('ws', 'wf', 'evt_x'),
    ]) {
      expect(id).toMatch(/^(evt|ct|conv|msg|exe)_[0-9a-hjkmnp-tv-z]{26}$/);
    }
  });

  it('scopes contacts and conversations by workspace and Block', () => {
    expect(contactId('ws_a', 'blk', 'u')).not.toBe(contactId('ws_b', 'blk', 'u'));
    expect(contactId('ws', 'blk_a', 'u')).not.toBe(contactId('ws', 'blk_b', 'u'));
    expect(conversationId('ws', 'blk', 'u').slice(5)).not.toBe(contactId('ws', 'blk', 'u').slice(3));
  });

  it('is the first 128 bits of SHA-256 over the prefix and parts, in lowercase Crockford base32', () => {
    // An independent derivation (digest bytes, one big integer) of what the fast one computes from a base64url digest.
    const reference = (prefix: string, parts: Array<string | number>): string => {
      const input = [prefix, ...parts.map(String)].map((s) => s + '\u0000').join('');
      const bits = BigInt('0x' + createHash('sha256').update(input, 'utf8').digest('hex').slice(0, 32)) << 2n; // 130 bits
      let out = '';
      for (let shift = 125n; shift >= 0n; shift -= 5n) out += '0123456789abcdefghjkmnpqrstvwxyz'[Number((bits >> shift) & 31n)];
      return `${prefix}_${out}`;
    };
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.array(fc.oneof(fc.string({ unit: 'binary' }), fc.integer())), (prefix, parts) => {
        expect(hashId(prefix, parts)).toBe(reference(prefix, parts));
      }),
      { numRuns: 500 },
    );
  });

  it('is stable across releases', () => {
    // Ids are stored and deduplicated on: a changed derivation would make every
    // redelivery after a deploy look like a new event. This value must never change.
    expect(eventId(base)).toBe('evt_hxvyrxtn766cz6yhxatt4yahqw');
  });
});
