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

  it.each<[string, (change: string) => string]>([
    ['contact by workspace', (x) => contactId(x, 'blk', 'u')],
    ['contact by Block', (x) => contactId('ws', x, 'u')],
    ['contact by platform user', (x) => contactId('ws', 'blk', x)],
    ['conversation by workspace', (x) => conversationId(x, 'blk', 't')],
    ['conversation by Block', (x) => conversationId('ws', x, 't')],
    ['conversation by platform thread', (x) => conversationId('ws', 'blk', x)],
    ['message by Block', (x) => messageId(x, 'mid')],
    ['message by platform message id', (x) => messageId('blk', x)],
    ['execution by workspace', (x) => executionId(x, 'wf', 'evt_x')],
    ['execution by workflow', (x) => executionId('ws', x, 'evt_x')],
    ['execution by event', (x) => executionId('ws', 'wf', x)],
  ])('tells apart each %s', (_name, idOf) => {
    expect(idOf('a')).not.toBe(idOf('b'));
    expect(idOf('a')).toBe(idOf('a'));
  });

  it('gives events no Block produced the id of an empty Block', () => {
    expect(eventId({ ...base, blockId: null })).toBe(eventId({ ...base, blockId: '' }));
    expect(eventId({ ...base, blockId: null })).not.toBe(eventId(base));
  });

  it('is stable across releases', () => {
    // Ids are stored and deduplicated on: a changed derivation would make every
    // redelivery after a deploy look like a new event, a new contact or a second
    // execution of a workflow. These values must never change.
    expect(eventId(base)).toBe('evt_hxvyrxtn766cz6yhxatt4yahqw');
    expect(eventId({ ...base, blockId: null })).toBe('evt_1zz4116pe6jyg04ths28ha86dr');
    expect(contactId('ws_1', 'blk_1', 'u1')).toBe('ct_mzvmgys1t17rdn59asr2b2naym');
    expect(conversationId('ws_1', 'blk_1', 't1')).toBe('conv_wsfn93a0p2nv2v256c0ypth07g');
    expect(messageId('blk_1', 'mid.1')).toBe('msg_wgyj7vj0zzmhbmkqv2cv7jdy9w');
    expect(executionId('ws_1', 'wf_1', 'evt_x')).toBe('exe_qhzjkmrtzhcryqsxvhh7834kc4');
  });
});
