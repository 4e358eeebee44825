/** Shared by the per-platform normalizer tables: run a body, check envelopes against expectations. */
import { contactId, conversationId, eventId, messageId, validateEnvelope, type Envelope } from '../../shared/envelope';
import { extractItem } from '../../shared/event-log/raw-store';
import { normalize, type NormalizeInput } from '../../shared/normalize/normalize';
import { staticRouter, type Router } from '../../shared/normalize/router';
import type { NormalizeResult } from '../../shared/normalize/types';
import type { Platform } from '../../shared/platforms';
import type { RejectionReason } from '../../shared/rejection';

export const WS = 'ws_test';
export const BLK = 'blk_test';
export const RECEIVED_AT = '2024-03-31T10:15:31.000Z';
export const router = staticRouter({ workspaceId: WS, blockId: BLK });

export const ids = {
  contact: (userId: string) => contactId(WS, BLK, userId),
  conversation: (threadId: string) => conversationId(WS, BLK, threadId),
  message: (platformMessageId: string) => messageId(BLK, platformMessageId),
  ref: (platformMessageId: string) => ({ id: messageId(BLK, platformMessageId), platform_message_id: platformMessageId }),
};

export function run(platform: Platform, body: unknown, extra: Partial<NormalizeInput> = {}, r: Router = router): Promise<NormalizeResult> {
  return normalize({ platform, kind: 'webhook', body: JSON.stringify(body), receivedAt: RECEIVED_AT, requestId: 'req-1', ...extra }, r);
}

export interface ExpectedEnvelope {
  type: string;
  rawId?: string;
  timestamp?: string;
  kind?: string;
  /** metadata.raw_path: where the item sits in the body. */
  rawPath?: string;
  data?: Record<string, unknown>;
}

export interface ExpectedRejection {
  reason: RejectionReason;
  path: string;
  detail?: string | RegExp;
}

export interface Case {
  name: string;
  body: unknown;
  expected: ExpectedEnvelope[];
  rejected?: ExpectedRejection[];
}

/** Checks what a workflow author relies on: types in order, ids, data fields, schema validity. */
export async function check(platform: Platform, c: Case): Promise<Envelope[]> {
  const result = await run(platform, c.body);
  expect(result.envelopes.map((e) => e.type)).toEqual(c.expected.map((e) => e.type));
  result.envelopes.forEach((env, i) => {
    const want = c.expected[i] as ExpectedEnvelope;
    expect(validateEnvelope(env)).toMatchObject({ ok: true });
    // What consumers read is what was published: no undefined-valued keys, nothing JSON cannot carry.
    expect(JSON.parse(JSON.stringify(env))).toStrictEqual(env);
    expect(env).toMatchObject({ workspace_id: WS, block_id: BLK, platform, metadata: { source: 'webhook', received_at: RECEIVED_AT, request_id: 'req-1' } });
    if (want.rawId) {
      expect(env.metadata.raw_platform_event_id).toBe(want.rawId);
    }
    if (want.timestamp) expect(env.timestamp).toBe(want.timestamp);
    if (want.kind) expect(env.metadata.platform_event_kind).toBe(want.kind);
    if (want.rawPath !== undefined) expect(env.metadata.raw_path).toBe(want.rawPath);
    // Every envelope names its batch item, and that path leads to an object of the body (the events API shows it).
    expect(typeof env.metadata.raw_path).toBe('string');
    expect(extractItem(Buffer.from(JSON.stringify(c.body)), env.metadata.raw_path as string)).toEqual(expect.any(Object));
    if (want.data) expect(env.data).toMatchObject(want.data);
  });
  // Ids are distinct within the body and the same on a second run.
  const again = await run(platform, c.body);
  expect(new Set(result.envelopes.map((e) => e.id)).size).toBe(result.envelopes.length);
  expect(again.envelopes.map((e) => e.id)).toEqual(result.envelopes.map((e) => e.id));
  const rejected = c.rejected ?? [];
  expect(result.rejections.map((r) => ({ reason: r.reason, path: r.path }))).toEqual(rejected.map((r) => ({ reason: r.reason, path: r.path })));
  result.rejections.forEach((r, i) => {
    const detail = rejected[i]?.detail;
    if (detail !== undefined) expect(r.detail).toMatch(detail);
    expect(r.raw).toBeDefined();
  });
  return result.envelopes;
}

/** The event id a single-event body must get (the contract of shared/envelope/ids.ts). */
export function expectedEventId(platform: Platform, type: string, rawId: string, discriminator: Array<string | number> = []): string {
  return eventId({ platform, blockId: BLK, type, rawId, discriminator });
}
