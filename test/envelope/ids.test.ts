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

  it('is stable across releases', () => {
    // Ids are stored and deduplicated on: a changed derivation would make every
    // redelivery after a deploy look like a new event. This value must never change.
    expect(eventId(base)).toBe('evt_hxvyrxtn766cz6yhxatt4yahqw');
  });
});
