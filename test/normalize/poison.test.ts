/**
 * Poison always becomes a visible rejection: hostile but validly signed
 * bodies end as rejections the event log can store (with a reason, in the
 * right log), never as a 500 on every delivery, silence, or a 1969 event.
 */
import { toPushBody } from '../../shared/contracts/pubsub-push';
import { rawAttributes } from '../../shared/contracts/raw-message';
import { REJECTION_LIMITS } from '../../shared/contracts/rejection';
import type { EnvelopePublisher } from '../../shared/envelope/publish';
import { createNormalizerHandler } from '../../shared/normalize/handler';
import { createLogger } from '../../shared/runtime/log';
import { fromRejected } from '../../shared/event-log/entry';
import { boundedJson, deeperThan, quote } from '../../shared/runtime/bounded';
import { rejectionAttributes } from '../../shared/normalize/publish-rejection';
import type { Router } from '../../shared/normalize/router';
import { normalize } from '../../shared/normalize/normalize';
import { RECEIVED_AT, router, run } from './support';

const nothingRoutes: Router = { byAccounts: () => undefined, byBlockId: () => undefined };
const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const logOpts = { now: new Date(RECEIVED_AT), retentionDays: 30 };

describe('a 10,000-deep array in a validly signed item', () => {
  it('becomes one rejection that serializes, with the raw item kept as bounded text (Telegram, an unsupported kind)', async () => {
    const body = `{"update_id":900000099,"poll_answer_x":${deep(10_000)}}`;
    const result = await normalize(
      {
        platform: 'telegram',
        kind: 'webhook',
        body,
        receivedAt: RECEIVED_AT,
        requestId: 'req-deep',
        blockId: 'blk_t',
        workspaceId: 'ws_t',
      },
      router,
    );
    expect(result.envelopes).toEqual([]);
    expect(result.rejections).toHaveLength(1);
    const [r] = result.rejections;
    expect(r).toMatchObject({ reason: 'invalid', workspace_id: 'ws_t', block_id: 'blk_t' });
    expect(r?.detail).toContain(`nests deeper than ${REJECTION_LIMITS.rawDepth} levels`);
    expect(typeof r?.raw).toBe('string');
    // What the publisher and the event log do with it: neither overflows the stack.
    expect(() => JSON.stringify(r)).not.toThrow();
    expect(Buffer.byteLength(JSON.stringify(r))).toBeLessThan(REJECTION_LIMITS.rawQuoteBytes + 8192);
    expect(() => fromRejected(r!, logOpts)).not.toThrow();
  });

  it('in a split problem (a Meta entry of no known list) is rejected with bounded raw, and the same id on a redelivery', async () => {
    const body = `{"object":"page","entry":[{"id":"1200000000000001","time":1711880130000,"feed_x":${deep(10_000)}}]}`;
    const input = { platform: 'messenger' as const, kind: 'webhook' as const, body, receivedAt: RECEIVED_AT, requestId: 'req-deep2' };
    const [first, second] = [await normalize(input, router), await normalize(input, router)];
    expect(first.rejections).toHaveLength(1);
    expect(first.rejections[0]).toMatchObject({ reason: 'unsupported', path: 'entry[0]' });
    expect(first.rejections[0]?.detail).toContain('nests deeper than');
    expect(first.rejections[0]?.id).toBe(second.rejections[0]?.id);
    expect(() => JSON.stringify(first.rejections)).not.toThrow();
  });

  it('bounded helpers never recurse past their limit', () => {
    const value = JSON.parse(deep(10_000)) as unknown;
    expect(deeperThan(value, 64)).toBe(true);
    expect(deeperThan(JSON.parse(deep(64)), 64)).toBe(false);
    const json = boundedJson(value, 64, 1000);
    expect(json.truncated).toBe(true);
    expect(json.text.startsWith('['.repeat(64))).toBe(true);
    expect(quote('x'.repeat(5000), 100)).toEqual({ text: expect.stringMatching(/truncated: 5000 bytes, 100 kept\]$/), truncated: true });
    expect(Buffer.byteLength(quote('é'.repeat(5000), 101).text)).toBeLessThanOrEqual(101);
  });
});

it('quotes at most REJECTION_LIMITS.detailBytes of 450 KB account ids, and says it truncated', async () => {
  const huge = (c: string) => c.repeat(450_000);
  const body = {
    object: 'instagram',
    entry: [
      {
        id: huge('1'),
        time: 1711880130000,
        messaging: [{ sender: { id: '2' }, recipient: { id: huge('3') }, timestamp: 1711880130123, message: { mid: 'm', text: 'x' } }],
      },
    ],
  };
  const result = await run('instagram', body, {}, nothingRoutes);
  expect(result.rejections).toHaveLength(1);
  const [r] = result.rejections;
  expect(r?.reason).toBe('unroutable');
  expect(Buffer.byteLength(r!.detail)).toBeLessThanOrEqual(REJECTION_LIMITS.detailBytes);
  expect(r?.detail).toMatch(/^no connected Block for instagram account 1{100}.* … \[truncated: \d+ bytes, 2048 kept\]$/);
  // The entry the log writes stays far under Firestore's 1 MiB.
  const fields = fromRejected(r!, logOpts);
  expect(Buffer.byteLength(JSON.stringify(fields))).toBeLessThan(450_000);
});

describe('a body of another kind than the platform sends', () => {
  it.each(['messenger', 'instagram', 'whatsapp'] as const)(
    '%s: {"object":"martian","entry":[]} leaves an unsupported rejection saying why',
    async (platform) => {
      const result = await run(platform, { object: 'martian', entry: [] });
      expect(result.envelopes).toEqual([]);
      expect(result.rejections).toEqual([
        expect.objectContaining({
          reason: 'unsupported',
          path: '',
          detail: expect.stringContaining('"martian"'),
          raw: { object: 'martian', entry: [] },
        }),
      ]);
    },
  );

  it('an empty batch of the right object is still no rejection', async () => {
    expect(await run('messenger', { object: 'page', entry: [] })).toEqual({ envelopes: [], rejections: [] });
  });
});

it('items rejected while splitting a batch whose Block the edge named go to that workspace', async () => {
  const result = await run(
    'line',
    { destination: 'Ubot', events: [42, { type: 'message' }] },
    { blockId: 'blk_line', workspaceId: 'ws_line' },
  );
  const split = result.rejections.find((r) => r.path === 'events[0]');
  expect(split).toMatchObject({ reason: 'invalid', workspace_id: 'ws_line', block_id: 'blk_line' });
  expect(rejectionAttributes(split!)).toMatchObject({ workspace_id: 'ws_line', block_id: 'blk_line' });
  expect(fromRejected(split!, logOpts).workspace_id).toBe('ws_line');
  // A body that does not parse at all is that workspace's too.
  const broken = await normalize(
    {
      platform: 'line',
      kind: 'webhook',
      body: '{"destination":1}',
      receivedAt: RECEIVED_AT,
      requestId: 'r',
      blockId: 'blk_line',
      workspaceId: 'ws_line',
    },
    router,
  );
  expect(broken.rejections).toEqual([expect.objectContaining({ reason: 'unparseable', workspace_id: 'ws_line' })]);
});

describe('an impossible timestamp', () => {
  const item = (timestamp: number) => ({
    object: 'page',
    entry: [
      {
        id: '1200000000000001',
        time: 1711880130000,
        messaging: [
          {
            sender: { id: '2400000000000002' },
            recipient: { id: '1200000000000001' },
            timestamp,
            message: { mid: `m_${timestamp}`, text: 'hi' },
          },
        ],
      },
    ],
  });

  it.each([-5, 0, 1e15])('%d falls back to the receive time, said in platform_detail', async (timestamp) => {
    const result = await run('messenger', item(timestamp));
    expect(result.rejections).toEqual([]);
    expect(result.envelopes).toHaveLength(1);
    expect(result.envelopes[0]?.timestamp).toBe(RECEIVED_AT);
    expect(result.envelopes[0]?.metadata.platform_detail).toMatchObject({
      timestamp_source: 'received_at',
      platform_timestamp: expect.any(String),
    });
  });

  it('a Telegram date of -5 too', async () => {
    const body = {
      update_id: 900000098,
      message: {
        message_id: 1,
        date: -5,
        chat: { id: 111222333, type: 'private' },
        from: { id: 111222333, is_bot: false, first_name: 'A' },
        text: 'hi',
      },
    };
    const result = await run('telegram', body, { blockId: 'blk_t', workspaceId: 'ws_t' });
    expect(result.envelopes[0]?.timestamp).toBe(RECEIVED_AT);
    expect(result.envelopes[0]?.metadata.platform_detail).toMatchObject({ timestamp_source: 'received_at' });
  });

  it('a plausible one is kept, with no fallback said', async () => {
    const result = await run('messenger', item(1711880130123));
    expect(result.envelopes[0]?.timestamp).toBe('2024-03-31T10:15:30.123Z');
    expect(result.envelopes[0]?.metadata.platform_detail?.timestamp_source).toBeUndefined();
  });
});

it('the normalizer function acks a 10,000-deep item with one published rejection, not a 500 on every delivery', async () => {
  const published: string[] = [];
  const handler = createNormalizerHandler({
    router: () => router,
    events: { publish: async () => 'e' } as unknown as EnvelopePublisher,
    rejections: {
      publish: async (item) => {
        published.push(JSON.stringify(item));
        return 'r';
      },
    },
    logger: createLogger({ component: 'normalizer' }, { level: 'error', write: () => undefined }),
  });
  const data = `{"update_id":900000097,"poll_answer_x":${deep(10_000)}}`;
  const attributes = rawAttributes({
    platform: 'telegram',
    received_at: RECEIVED_AT,
    request_id: 'req-deep-handler',
    kind: 'webhook',
    content_type: 'application/json',
    block_id: 'blk_t',
    workspace_id: 'ws_t',
  });
  let status = 0;
  const res = {
    status(s: number) {
      status = s;
      return res;
    },
    json: () => res,
    end: () => res,
  };
  await handler({ body: toPushBody({ data, attributes }, 'normalizer') } as never, res as never);
  expect(status).toBe(204);
  expect(published).toHaveLength(1);
  expect(JSON.parse(published[0]!)).toMatchObject({ reason: 'invalid', workspace_id: 'ws_t' });
});
