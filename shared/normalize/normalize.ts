/**
 * The normalizer's one pure-ish entry: a raw message (body + attributes) in,
 * envelopes and rejections out.
 *
 *   parse, split   the platform's adapter (shared/platforms/registry.ts)
 *   route          ./route-batch.ts: every distinct lookup of the batch at once
 *   map            the adapter, with ./map-context.ts (memoized ids)
 *   ids            ./event-ids.ts (duplicates and collisions)
 *   emit           metadata, then the envelope schema
 *
 * Every batch item ends as envelopes or as a rejection with a reason; nothing
 * is dropped and nothing throws, except a Router that cannot reach our records
 * (RoutingUnavailableError), which the caller must retry. The performance
 * choices along the way are explained in docs/performance.md.
 */
import { validateEnvelope, type Envelope } from '../envelope';
import { compact } from '../platform-kit/fields';
import { ItemProblem } from '../platform-kit/problems';
import { dateToIso, isPlausibleTime } from '../platform-kit/time';
import type { BatchItem, Draft, NormalizerAdapter, Route } from '../platform-kit/types';
import { platformModule } from '../platforms/registry';
import { REJECTION_LIMITS, type RejectedItem } from '../contracts/rejection';
import { deeperThan } from '../runtime/bounded';
import { assignEventIds, type Placed } from './event-ids';
import { checkHandshake, handshakeBlockId, mapHandshake } from './handshake';
import { ItemContext } from './map-context';
import { rejection, type RejectionInput } from './rejections';
import { routeBatch, unroutableDetail, type Routes } from './route-batch';
import type { Router } from './router';
import type { NormalizeInput, NormalizeResult } from './types';

export type { NormalizeInput } from './types';

export interface NormalizeOptions {
  now?: () => Date;
}

export async function normalize(input: NormalizeInput, router: Router, options: NormalizeOptions = {}): Promise<NormalizeResult> {
  return normalizeNow(input, router, options);
}

/**
 * normalize(), but the result itself when the router answered at once (a
 * cached route), a promise only when a lookup is pending: the normalizer
 * function's hot path (docs/performance.md#await-only-what-is-pending).
 * Throws RoutingUnavailableError at once or rejects with it.
 */
export function normalizeNow(
  input: NormalizeInput,
  router: Router,
  options: NormalizeOptions = {},
): NormalizeResult | Promise<NormalizeResult> {
  const batch = new Batch(input, options.now ? options.now() : new Date());
  const split = parseAndSplit(batch);
  if (!split) return batch.result();
  const answer = routeBatch(router, input, split.blockId, split.items);
  return Array.isArray(answer) ? place(batch, split, answer) : answer.then((routes) => place(batch, split, routes));
}

/** The routed batch mapped, identified and emitted. */
function place(batch: Batch, split: Split, routes: Routes): NormalizeResult {
  const placed = mapItems(batch, split, routes);
  emit(batch, placed, assignEventIds(batch.input.platform, placed));
  return batch.result();
}

/** One raw message on its way: its input, clock, and what it has come to so far. */
class Batch {
  readonly receivedAt: string | undefined;
  readonly envelopes: Envelope[] = [];
  readonly rejections: RejectedItem[] = [];
  /** The Block the edge authenticated the request with (LINE, Telegram): every rejection of the message is that workspace's. */
  readonly edgeRoute: Route | undefined;

  constructor(
    readonly input: NormalizeInput,
    readonly now: Date,
  ) {
    this.receivedAt = dateToIso(input.receivedAt);
    if (input.kind === 'webhook' && input.blockId && input.workspaceId)
      this.edgeRoute = { blockId: input.blockId, workspaceId: input.workspaceId };
  }

  reject(r: Omit<RejectionInput, 'platform' | 'now' | 'requestId' | 'receivedAt'>): void {
    const route = r.route ?? (r.reason === 'unroutable' ? undefined : this.edgeRoute);
    this.rejections.push(
      rejection({
        ...r,
        ...(route ? { route } : {}),
        platform: this.input.platform,
        now: this.now,
        requestId: this.input.requestId,
        receivedAt: this.receivedAt,
      }),
    );
  }

  result(): NormalizeResult {
    return { envelopes: this.envelopes, rejections: this.rejections };
  }
}

/** A batch's items, the adapter that maps them (none for a handshake record), and the Block named for routing. */
interface Split {
  items: BatchItem[];
  adapter: NormalizerAdapter | undefined;
  blockId: string | undefined;
}

/**
 * The body parsed and split by the platform's adapter; a handshake record is
 * a one-item batch of its own. Undefined when the whole message is rejected
 * as unparseable.
 */
function parseAndSplit(batch: Batch): Split | undefined {
  const { input } = batch;
  const text = typeof input.body === 'string' ? input.body : input.body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    batch.reject({ reason: 'unparseable', path: '', detail: `the body is not JSON (${(err as Error).message})`, raw: text });
    return undefined;
  }
  if (input.kind === 'handshake') {
    const why = checkHandshake(parsed);
    if (why) {
      batch.reject({ reason: 'unparseable', path: '', detail: why, raw: text });
      return undefined;
    }
    return { items: [{ path: '', raw: parsed, accounts: [] }], adapter: undefined, blockId: input.blockId ?? handshakeBlockId(parsed) };
  }
  const foreign = foreignObject(input.platform, parsed);
  if (foreign) {
    batch.reject({ reason: 'unsupported', path: '', detail: foreign, raw: parsed });
    return undefined;
  }
  const adapter = platformModule(input.platform).normalizer;
  const split = adapter.split(parsed);
  if (typeof split === 'string') {
    batch.reject({ reason: 'unparseable', path: '', detail: split, raw: text });
    return undefined;
  }
  for (const p of split.problems) batch.reject(p);
  return { items: split.items, adapter, blockId: input.blockId };
}

/** Each routed item through its mapper; an item without a route, or that its mapper refuses, becomes a rejection. */
function mapItems(batch: Batch, { items, adapter }: Split, routes: Routes): Placed[] {
  const { input } = batch;
  const fallbackTime = batch.receivedAt ?? batch.now.toISOString(); // docs/performance.md#once-per-batch-not-per-item
  const placed: Placed[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as BatchItem;
    const route = routes[i];
    if (!route) {
      batch.reject({
        reason: 'unroutable',
        path: item.path,
        detail: unroutableDetail(input, item),
        raw: item.raw,
        accounts: item.accounts,
      });
      continue;
    }
    // Past this depth no mapper reads anything, and stringifying it (envelope, rejection) would overflow the stack.
    if (deeperThan(item.raw, REJECTION_LIMITS.rawDepth)) {
      batch.reject({
        reason: 'invalid',
        path: item.path,
        detail: `${item.path || 'the item'} nests deeper than ${REJECTION_LIMITS.rawDepth} levels`,
        raw: item.raw,
        route,
      });
      continue;
    }
    const ctx = new ItemContext(input.platform, route, fallbackTime);
    try {
      const drafts = adapter ? adapter.map(item, ctx) : mapHandshake(item.raw as Record<string, unknown>, ctx);
      for (let index = 0; index < drafts.length; index++) placed.push({ item, route, draft: drafts[index] as Draft, index });
    } catch (err) {
      const problem =
        err instanceof ItemProblem ? err : new ItemProblem('invalid', `could not map the item: ${(err as Error)?.message ?? String(err)}`);
      batch.reject({ reason: problem.reason, path: item.path, detail: problem.detail, raw: item.raw, route });
    }
  }
  return placed;
}

/** Each placed draft as an envelope with its id and metadata; one that fails the envelope schema becomes a rejection. */
function emit(batch: Batch, placed: Placed[], ids: string[]): void {
  const { input, receivedAt } = batch;
  const fallbackTime = receivedAt ?? batch.now.toISOString();
  for (let i = 0; i < placed.length; i++) {
    const { item, route, draft } = placed[i] as Placed;
    // A time no platform event can have (before 2000, past 9999: a 1969 event would expire from the log at once)
    // is the receive time instead, said in platform_detail as every other fallback of the time is.
    const impossible = !isPlausibleTime(draft.timestamp);
    const metadata: Record<string, unknown> = {
      raw_platform_event_id: draft.rawId,
      source: 'webhook',
      platform_event_kind: draft.kind,
      raw_path: item.path,
    };
    if (receivedAt) metadata.received_at = receivedAt;
    if (input.requestId) metadata.request_id = input.requestId;
    if (draft.detail && hasKeys(draft.detail)) {
      // Mappers copy optional platform fields as they find them: absent ones must not travel as undefined.
      const detail = compact(draft.detail);
      if (hasKeys(detail)) metadata.platform_detail = detail;
    }
    if (impossible) {
      metadata.platform_detail = {
        ...(metadata.platform_detail as Record<string, unknown> | undefined),
        timestamp_source: 'received_at',
        platform_timestamp: draft.timestamp,
      };
    }
    const candidate = {
      id: ids[i] as string,
      type: draft.type,
      workspace_id: route.workspaceId,
      block_id: route.blockId,
      platform: input.platform,
      timestamp: impossible ? fallbackTime : draft.timestamp,
      data: draft.data,
      metadata,
    };
    const result = validateEnvelope(candidate);
    if (result.ok) {
      batch.envelopes.push(result.envelope);
    } else {
      const violations = result.violations.map((v) => `${v.path} ${v.message}`).join('; ');
      batch.reject({
        reason: 'invalid',
        path: item.path,
        detail: `the ${draft.type} built from it fails the envelope schema: ${violations}`,
        raw: item.raw,
        rawPlatformEventId: draft.rawId,
        route,
      });
    }
  }
}

/** What each Meta platform's body says in `object`; a body naming another is no payload of that platform's we map. */
const META_OBJECTS: Partial<Record<NormalizeInput['platform'], string>> = {
  messenger: 'page',
  instagram: 'instagram',
  whatsapp: 'whatsapp_business_account',
};

/** Why the body is another kind of payload than the platform's (Meta's `object`), or undefined. */
function foreignObject(platform: NormalizeInput['platform'], body: unknown): string | undefined {
  const expected = META_OBJECTS[platform];
  if (!expected || typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const object = (body as Record<string, unknown>).object;
  if (object === expected || object === undefined) return undefined;
  const named = typeof object === 'string' ? `"${object}"` : `a ${Array.isArray(object) ? 'array' : typeof object}`;
  return `the body's object is ${named}, not "${expected}": no ${platform} payload kind we map`;
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}
