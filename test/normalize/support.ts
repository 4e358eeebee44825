/** Shared by the per-platform normalizer tables: run a body, check envelopes against expectations. */
import { contactId, conversationId, eventId, messageId, validateEnvelope, type Envelope } from '../../shared/envelope';
import { extractItem } from '../../shared/event-log/raw-store';
import { normalize, type NormalizeInput } from '../../shared/normalize/normalize';
import { staticRouter, type Router } from '../../shared/normalize/router';
import type { NormalizeResult } from '../../shared/normalize/types';
import type { Platform } from '../../shared/platforms';
import type { RejectionReason } from '../../shared/contracts/rejection';
import { instagram } from '../fixtures/normalize/instagram';
import { lineBodies } from '../fixtures/normalize/line';
import { messenger } from '../fixtures/normalize/messenger';
import { telegramBodies } from '../fixtures/normalize/telegram';
import { whatsapp } from '../fixtures/normalize/whatsapp';

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

/** Every project fixture body, with its platform: the corpus the property tests mutate. */
export const FIXTURES: Array<[Platform, Record<string, unknown>]> = [
  ...Object.values(messenger).map((b) => ['messenger', b] as [Platform, Record<string, unknown>]),
  ...Object.values(instagram).map((b) => ['instagram', b] as [Platform, Record<string, unknown>]),
  ...Object.values(whatsapp).map((b) => ['whatsapp', b] as [Platform, Record<string, unknown>]),
  ...Object.values(lineBodies).map((b) => ['line', b] as [Platform, Record<string, unknown>]),
  ...Object.values(telegramBodies).map((b) => ['telegram', b] as [Platform, Record<string, unknown>]),
];

export type Path = Array<string | number>;

/** Every path into a JSON value, the value itself ([]) first. */
export function paths(value: unknown, prefix: Path = []): Path[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const keys: Array<string | number> = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return [prefix, ...keys.flatMap((k) => paths((value as Record<string | number, unknown>)[k], [...prefix, k]))];
}

/** A copy of body with the value at path deleted or replaced. */
export function mutate(body: unknown, path: Path, op: 'delete' | 'replace', replacement: unknown): unknown {
  if (path.length === 0) return op === 'delete' ? {} : replacement;
  const copy = structuredClone(body) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (op === 'delete') {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else {
    parent[last] = replacement;
  }
  return copy;
}

/** What `f` threw (an ItemProblem, to check its reason and detail); fails when it returns. */
export function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

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
    expect(env).toMatchObject({
      workspace_id: WS,
      block_id: BLK,
      platform,
      metadata: { source: 'webhook', received_at: RECEIVED_AT, request_id: 'req-1' },
    });
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
  expect(result.rejections.map((r) => ({ reason: r.reason, path: r.path }))).toEqual(
    rejected.map((r) => ({ reason: r.reason, path: r.path })),
  );
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
