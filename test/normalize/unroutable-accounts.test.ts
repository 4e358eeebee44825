/**
 * An unroutable rejection names the accounts its item named as a field
 * (RejectedItem.accounts), so the event log can store them and an operator
 * can list an account's unrouted items once its Block is connected. Other
 * rejections, and items that name no account, carry none.
 */
import { normalize } from '../../shared/normalize/normalize';
import type { Router } from '../../shared/normalize/router';
import { IG_ACCOUNT, instagram } from '../fixtures/normalize/instagram';
import { lineBodies } from '../fixtures/normalize/line';
import { PAGE, page } from '../fixtures/normalize/messenger';
import { telegramBodies } from '../fixtures/normalize/telegram';
import { PHONE_ID, whatsapp } from '../fixtures/normalize/whatsapp';
import { BLK, WS, run } from './support';

/** A registry that knows the accounts given, and nothing else. */
const knowing = (...accounts: string[]): Router => ({
  byAccounts: async (_platform, named) => (named.some((a) => accounts.includes(a)) ? { workspaceId: WS, blockId: BLK } : undefined),
  byBlockId: async () => undefined,
});
const noBlocks = knowing();

describe('unroutable rejections carry the accounts the item named', () => {
  it('WhatsApp: the phone_number_id', async () => {
    const { envelopes, rejections } = await run('whatsapp', whatsapp.text, {}, noBlocks);
    expect(envelopes).toEqual([]);
    expect(rejections).toEqual([
      expect.objectContaining({ reason: 'unroutable', path: 'entry[0].changes[0].value.messages[0]', accounts: [PHONE_ID] }),
    ]);
  });

  it('Instagram: every id the registry was asked about, entry id first (the sender only for an echo)', async () => {
    const { rejections } = await run('instagram', instagram.routedByRecipient, {}, noBlocks);
    expect(rejections).toEqual([expect.objectContaining({ reason: 'unroutable', accounts: ['0', IG_ACCOUNT] })]);
    // The same id named twice (entry id and recipient) is listed once.
    const lost = await run('instagram', instagram.unknownAccount, {}, noBlocks);
    expect(lost.rejections.map((r) => r.accounts)).toEqual([['17841499999999999']]);
    const echo = await run('instagram', instagram.echoRoutedBySender, {}, noBlocks);
    expect(echo.rejections.map((r) => r.accounts)).toEqual([['0', IG_ACCOUNT]]);
  });

  it('LINE: the destination', async () => {
    const { rejections } = await run('line', { ...lineBodies.text, destination: 'Uunknown' }, {}, noBlocks);
    expect(rejections).toEqual([expect.objectContaining({ reason: 'unroutable', path: 'events[0]', accounts: ['Uunknown'] })]);
  });

  it('in a batch, only the unroutable item is rejected, with its own account', async () => {
    const OTHER = '1299999999999999';
    const body = page(
      {
        id: PAGE,
        time: 1711880130000,
        messaging: [{ sender: { id: 'u1' }, recipient: { id: PAGE }, timestamp: 1711880130123, message: { mid: 'm_ok', text: 'ok' } }],
      },
      {
        id: OTHER,
        time: 1711880130000,
        messaging: [{ sender: { id: 'u2' }, recipient: { id: OTHER }, timestamp: 1711880130124, message: { mid: 'm_lost', text: '?' } }],
      },
    );
    const { envelopes, rejections } = await run('messenger', body, {}, knowing(PAGE));
    expect(envelopes.map((e) => e.metadata.raw_path)).toEqual(['entry[0].messaging[0]']);
    expect(rejections).toEqual([expect.objectContaining({ reason: 'unroutable', path: 'entry[1].messaging[0]', accounts: [OTHER] })]);
  });

  it('survive the JSON the rejection is published as', async () => {
    const { rejections } = await run('whatsapp', whatsapp.text, {}, noBlocks);
    expect((JSON.parse(JSON.stringify(rejections[0])) as { accounts: unknown }).accounts).toEqual([PHONE_ID]);
  });
});

describe('rejections that carry no accounts', () => {
  it('an item naming no account (a Telegram update without the edge Block)', async () => {
    const { rejections } = await run('telegram', telegramBodies.text, {}, noBlocks);
    expect(rejections).toHaveLength(1);
    expect(rejections[0]).toMatchObject({ reason: 'unroutable' });
    expect(rejections[0]).not.toHaveProperty('accounts');
  });

  it('a Meta handshake record naming no Block', async () => {
    const record = { kind: 'webhook.verified', platform: 'instagram', verified_at: '2024-03-31T10:00:00.000Z', verify_token_index: 0 };
    const { rejections } = await normalize({ platform: 'instagram', kind: 'handshake', body: JSON.stringify(record) }, noBlocks);
    expect(rejections).toHaveLength(1);
    expect(rejections[0]).toMatchObject({ reason: 'unroutable' });
    expect(rejections[0]).not.toHaveProperty('accounts');
  });

  it('a routed item rejected for another reason', async () => {
    const { rejections } = await run('whatsapp', whatsapp.unsupportedType, {}, knowing(PHONE_ID));
    expect(rejections.length).toBeGreaterThan(0);
    for (const r of rejections) {
      expect(r.reason).not.toBe('unroutable');
      expect(r).not.toHaveProperty('accounts');
    }
  });
});
