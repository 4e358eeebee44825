/**
 * The normalizer's one pure-ish entry: a raw message (body + attributes) in,
 * envelopes and rejections out. Parse → split (adapter) → route (Router) →
 * map (adapter) → ids + metadata → validate. Every batch item ends as
 * envelopes or as a rejection with a reason; nothing is dropped and nothing
 * throws, except a Router that cannot reach our records
 * (RoutingUnavailableError), which the caller must retry.
 */
import { contactId, conversationId, eventId, messageId, type IdPart } from '../envelope/ids';
import { validateEnvelope, type Envelope } from '../envelope';
import type { Platform } from '../platforms';
import type { RejectedItem } from '../rejection';
import { adapterFor } from './adapters';
import { compact } from './fields';
import { checkHandshake, handshakeBlockId, mapHandshake } from './handshake';
import { ItemProblem } from './problems';
import { rejection, type RejectionInput } from './rejections';
import { RoutingUnavailableError, type RouteAnswer, type Router } from './router';
import { dateToIso } from './time';
import type { BatchItem, Draft, MapContext, NormalizeResult, PlatformAdapter, Route } from './types';
import type { RawKind } from '../raw-message';

export interface NormalizeInput {
  platform: Platform;
  kind: RawKind;
  /** The body exactly as received. */
  body: Buffer | string;
  receivedAt?: string;
  requestId?: string;
  /** Set when the edge resolved the Block (LINE, Telegram). */
  blockId?: string;
  workspaceId?: string;
}

export interface NormalizeOptions {
  now?: () => Date;
}

/** One draft with the routed item it came from and its index among that item's drafts. */
interface Placed {
  item: BatchItem;
  route: Route;
  draft: Draft;
  index: number;
}

export async function normalize(input: NormalizeInput, router: Router, options: NormalizeOptions = {}): Promise<NormalizeResult> {
  const now = options.now ? options.now() : new Date();
  const receivedAt = dateToIso(input.receivedAt);
  const batch: Batch = { input, now, receivedAt, rejections: [] };

  const text = typeof input.body === 'string' ? input.body : input.body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    reject(batch, { reason: 'unparseable', path: '', detail: `the body is not JSON (${(err as Error).message})`, raw: text });
    return { envelopes: [], rejections: batch.rejections };
  }

  // The batch's items (a handshake is a one-item batch of its own).
  let items: BatchItem[];
  let adapter: PlatformAdapter | undefined;
  if (input.kind === 'handshake') {
    const why = checkHandshake(parsed);
    if (why) {
      reject(batch, { reason: 'unparseable', path: '', detail: why, raw: text });
      return { envelopes: [], rejections: batch.rejections };
    }
    items = [{ path: '', raw: parsed, accounts: [] }];
  } else {
    adapter = adapterFor(input.platform);
    const split = adapter.split(parsed);
    if (typeof split === 'string') {
      reject(batch, { reason: 'unparseable', path: '', detail: split, raw: text });
      return { envelopes: [], rejections: batch.rejections };
    }
    for (const p of split.problems) reject(batch, p);
    items = split.items;
  }

  // Routing is the only step that may wait: every distinct lookup of the batch at once, then map synchronously.
  // Only a pending answer is awaited: each await costs microtask turns, which a known route need not pay.
  const blockId = input.blockId ?? (input.kind === 'handshake' ? handshakeBlockId(parsed) : undefined);
  const answer = resolveRoutes(input, router, blockId, items);
  const routes = Array.isArray(answer) ? answer : await answer;

  // Formatted once per batch rather than once per item (only used when the edge gave no receive time).
  const fallbackTime = receivedAt ?? now.toISOString();
  const placed: Placed[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as BatchItem;
    const route = routes[i];
    if (!route) {
      reject(batch, { reason: 'unroutable', path: item.path, detail: unroutableDetail(input, item), raw: item.raw, accounts: item.accounts });
      continue;
    }
    const ctx = new ItemContext(input.platform, route, fallbackTime);
    try {
      const drafts = adapter ? adapter.map(item, ctx) : mapHandshake(item.raw as Record<string, unknown>, ctx);
      for (let index = 0; index < drafts.length; index++) placed.push({ item, route, draft: drafts[index] as Draft, index });
    } catch (err) {
      const problem = err instanceof ItemProblem ? err : new ItemProblem('invalid', `could not map the item: ${(err as Error)?.message ?? String(err)}`);
      reject(batch, { reason: problem.reason, path: item.path, detail: problem.detail, raw: item.raw, route });
    }
  }

  const envelopes: Envelope[] = [];
  const ids = assignIds(input.platform, placed);
  for (let i = 0; i < placed.length; i++) {
    const { item, route, draft } = placed[i] as Placed;
    const id = ids[i] as string;
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
    const candidate = {
      id,
      type: draft.type,
      workspace_id: route.workspaceId,
      block_id: route.blockId,
      platform: input.platform,
      timestamp: draft.timestamp,
      data: draft.data,
      metadata,
    };
    const result = validateEnvelope(candidate);
    if (result.ok) {
      envelopes.push(result.envelope);
    } else {
      const violations = result.violations.map((v) => `${v.path} ${v.message}`).join('; ');
      reject(batch, {
        reason: 'invalid',
        path: item.path,
        detail: `the ${draft.type} built from it fails the envelope schema: ${violations}`,
        raw: item.raw,
        rawPlatformEventId: draft.rawId,
        route,
      });
    }
  }
  return { envelopes, rejections: batch.rejections };
}

interface Batch {
  input: NormalizeInput;
  now: Date;
  receivedAt: string | undefined;
  rejections: RejectedItem[];
}

function reject(batch: Batch, r: Omit<RejectionInput, 'platform' | 'now' | 'requestId' | 'receivedAt'>): void {
  batch.rejections.push(rejection({ ...r, platform: batch.input.platform, now: batch.now, requestId: batch.input.requestId, receivedAt: batch.receivedAt }));
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

type Routes = Array<Route | undefined>;

/**
 * The Block of each item. An edge attribute wins (it was resolved from our
 * records to authenticate the request); otherwise the item's accounts, each
 * distinct lookup once per batch. Even an item naming no account is asked
 * about: a static router (CLI, tests) routes everything. Returns the routes
 * themselves when no answer is pending, so the caller need not await.
 */
function resolveRoutes(input: NormalizeInput, router: Router, blockId: string | undefined, items: BatchItem[]): Routes | Promise<Routes> {
  if (blockId && input.workspaceId) {
    const route = { blockId, workspaceId: input.workspaceId };
    return items.map(() => route);
  }
  const keys: string[] = [];
  const answers = new Map<string, RouteAnswer>();
  let pending = false;
  try {
    for (const item of items) {
      const key = blockId ? `block:${blockId}` : `accounts:${item.accounts.join('\u0000')}`;
      keys.push(key);
      if (answers.has(key)) continue;
      const answer = blockId ? router.byBlockId(blockId) : router.byAccounts(input.platform, item.accounts);
      pending ||= isPromiseLike(answer);
      answers.set(key, answer);
    }
  } catch (err) {
    throw new RoutingUnavailableError(err);
  }
  if (!pending) return keys.map((key) => answers.get(key) as Route | undefined);
  return settle(answers, keys);
}

async function settle(answers: Map<string, RouteAnswer>, keys: string[]): Promise<Routes> {
  const entries = [...answers];
  let resolved: Routes;
  try {
    resolved = await Promise.all(entries.map(([, answer]) => answer));
  } catch (err) {
    throw new RoutingUnavailableError(err);
  }
  const byKey = new Map(entries.map(([key], i) => [key, resolved[i]]));
  return keys.map((key) => byKey.get(key));
}

function isPromiseLike(value: RouteAnswer): value is Promise<Route | undefined> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}

function unroutableDetail(input: NormalizeInput, item: BatchItem): string {
  if (input.kind === 'handshake') {
    return 'the verification names no connected Block (Meta verifies the app subscription, not a Block), so there is no workspace for platform.webhook.verified';
  }
  if (input.blockId) return `Block ${input.blockId} named by the edge is not connected`;
  if (item.accounts.length === 0) return `the item names no ${input.platform} account and the message carries no Block`;
  return `no connected Block for ${input.platform} account ${item.accounts.join(' or ')}`;
}

/**
 * Contact and conversation ids repeat across events (a conversation is a burst
 * of messages, receipts and reactions from one person), and each is a SHA-256:
 * a bounded per-process memo keeps them. Cleared wholesale when full: simple,
 * and a miss only costs a hash.
 */
const ID_MEMO_LIMIT = 50_000;

/** The memo of one workspace and Block: looked up once per item, so each id lookup is keyed by the platform id alone. */
interface ScopeMemo {
  contacts: Map<string, string>;
  conversations: Map<string, string>;
}
const idMemo = new Map<string, Map<string, ScopeMemo>>();
let memoized = 0;

function scopeMemo(route: Route): ScopeMemo {
  // Keyed by the two ids themselves, not a joined string: joining built (and hashed) a new string per item.
  let byBlock = idMemo.get(route.workspaceId);
  if (!byBlock) {
    byBlock = new Map();
    idMemo.set(route.workspaceId, byBlock);
  }
  let memo = byBlock.get(route.blockId);
  if (!memo) {
    memo = { contacts: new Map(), conversations: new Map() };
    byBlock.set(route.blockId, memo);
  }
  return memo;
}

function remember(map: Map<string, string>, key: string, id: string): string {
  if (memoized >= ID_MEMO_LIMIT) {
    idMemo.clear();
    memoized = 0;
  }
  map.set(key, id);
  memoized++;
  return id;
}

/** A mapper's helpers for one routed item (a class: no closures to allocate per item). */
class ItemContext implements MapContext {
  private readonly memo: ScopeMemo;
  constructor(readonly platform: Platform, readonly route: Route, readonly receivedAt: string) {
    this.memo = scopeMemo(route);
  }
  contactId(userId: string): string {
    return this.memo.contacts.get(userId) ?? remember(this.memo.contacts, userId, contactId(this.route.workspaceId, this.route.blockId, userId));
  }
  conversationId(convId: string): string {
    return this.memo.conversations.get(convId) ?? remember(this.memo.conversations, convId, conversationId(this.route.workspaceId, this.route.blockId, convId));
  }
  messageId(platformMessageId: string): string {
    return messageId(this.route.blockId, platformMessageId);
  }
}

/**
 * Event ids: eventId(platform, Block, type, raw id, discriminator). Two events
 * of one batch can share an id:
 *   - exact duplicates (a platform repeating one item in a body: same id and
 *     the same content): one event, so only the first is kept, with the plain
 *     id it gets when delivered alone (the rest are dropped from `placed`);
 *   - different events under one platform id (LINE sends several events under
 *     one webhookEventId): only those also hash the item's place in the batch,
 *     which keeps them distinct and still stable across redeliveries of the
 *     same batch.
 * Every other id stays position-free. Returns the ids of `placed` as it is
 * afterwards (in place, so the common no-collision path allocates nothing more).
 */
function assignIds(platform: Platform, placed: Placed[]): string[] {
  const ids = placed.map((p) => idOf(platform, p));
  // A collision needs two envelopes, and is rare even then: count only when there can be one.
  if (ids.length < 2 || new Set(ids).size === ids.length) return ids;
  return resolveCollisions(platform, placed, ids);
}

/** The rare path of assignIds: collapses exact duplicates (in `placed`), then places the ids still shared. */
function resolveCollisions(platform: Platform, placed: Placed[], ids: string[]): string[] {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < ids.length; i++) {
    const group = groups.get(ids[i] as string);
    if (group) group.push(i);
    else groups.set(ids[i] as string, [i]);
  }
  const duplicate = new Set<number>();
  const shared = new Set<string>();
  for (const [id, members] of groups) {
    if (members.length < 2) continue;
    const contents = new Set<string>();
    for (const i of members) {
      const content = contentOf((placed[i] as Placed).draft);
      if (contents.has(content)) duplicate.add(i);
      else contents.add(content);
    }
    if (contents.size > 1) shared.add(id);
  }
  const out: string[] = [];
  let kept = 0;
  for (let i = 0; i < placed.length; i++) {
    if (duplicate.has(i)) continue;
    const p = placed[i] as Placed;
    const id = ids[i] as string;
    placed[kept++] = p;
    out.push(shared.has(id) ? idOf(platform, p, ['at', p.item.path, p.index]) : id);
  }
  placed.length = kept;
  return out;
}

/** What an envelope would carry besides its id and where it came from (type, raw id and discriminator are in the id). */
function contentOf(draft: Draft): string {
  return JSON.stringify([draft.timestamp, draft.kind, draft.data, draft.detail ?? null]);
}

/** Module-level rather than a closure per batch: tsx/esbuild's keepNames wraps every named closure in a defineProperty call. */
function idOf(platform: Platform, { route, draft }: Placed, at?: IdPart[]): string {
  return eventId({ platform, blockId: route.blockId, type: draft.type, rawId: draft.rawId, discriminator: at ? [...(draft.discriminator ?? []), ...at] : draft.discriminator });
}
