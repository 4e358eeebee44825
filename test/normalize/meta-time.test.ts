/** Meta (Messenger / Instagram) items whose entry leaves out `time`: the receive time, said in platform_detail. */
import { PAGE, USER } from '../fixtures/normalize/messenger';
import { RECEIVED_AT, run } from './support';

const body = (entry: Record<string, unknown>, item: Record<string, unknown>) => ({
  object: 'page',
  entry: [
    { id: PAGE, messaging: [{ sender: { id: USER }, recipient: { id: PAGE }, message: { mid: 'm.1', text: 'hi' }, ...item }], ...entry },
  ],
});

describe('meta: items and entries without time', () => {
  it('neither the item nor the entry has a time: the receive time, timestamp_source received_at', async () => {
    const { envelopes, rejections } = await run('messenger', body({}, {}));
    expect(rejections).toEqual([]);
    expect(envelopes[0]?.timestamp).toBe(RECEIVED_AT);
    expect(envelopes[0]?.metadata.platform_detail).toEqual({ timestamp_source: 'received_at' });
  });

  it("the entry's time is the platform's: used, and nothing is said", async () => {
    const { envelopes } = await run('messenger', body({ time: 1711880130000 }, {}));
    expect(envelopes[0]?.timestamp).toBe('2024-03-31T10:15:30.000Z');
    expect(envelopes[0]?.metadata.platform_detail).toBeUndefined();
  });

  it("the item's own time wins", async () => {
    const { envelopes } = await run('messenger', body({}, { timestamp: 1711880131000 }));
    expect(envelopes[0]?.timestamp).toBe('2024-03-31T10:15:31.000Z');
    expect(envelopes[0]?.metadata.platform_detail).toBeUndefined();
  });
});
