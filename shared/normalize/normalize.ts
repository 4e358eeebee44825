/**
 * The normalizer's one pure-ish entry: a raw message (body + attributes) in,
 * envelopes and rejections out. Parse → split (adapter) → route (Router) →
 * map (adapter) → ids + metadata → validate. Every batch item ends as
 * envelopes or as a rejection with a reason; nothing is dropped and nothing
 * throws, except a Router that cannot reach our records
 * (RoutingUnavailableError), which the caller must retry.
 */
import { contactId, conversationId, eventId, messageId } from '../envelope/ids';
import { validateEnvelope, type Envelope } from '../envelope';
import type { Platform } from '../platforms';
import type { RejectedItem } from '../rejection';
import { adapterFor } from './adapters';
import { checkHandshake, handshakeBlockId, mapHandshake } from './handshake';
import { ItemProblem } from './problems';
import { rejection, type RejectionInput } from './rejections';
import { RoutingUnavailableError, type Router } from './router';
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

interface Mapped {
  item: BatchItem;
  route: Route;
  drafts: Draft[];
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

  // Routing is the only asynchronous step: every distinct lookup of the batch at once, then map synchronously.
  const blockId = input.blockId ?? (input.kind === 'handshake' ? handshakeBlockId(parsed) : undefined);
  const routes = await resolveRoutes(input, router, blockId, items);

  const mapped: Mapped[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as BatchItem;
    const route = routes[i];
    if (!route) {
      reject(batch, { reason: 'unroutable', path: item.path, detail: unroutableDetail(input, item), raw: item.raw });
      continue;
    }
    const ctx = new ItemContext(input.platform, route, receivedAt ?? now.toISOString());
    try {
      const drafts = adapter ? adapter.map(item, ctx) : mapHandshake(item.raw as Record<string, unknown>, ctx);
      mapped.push({ item, route, drafts });
    } catch (err) {
      const problem = err instanceof ItemProblem ? err : new ItemProblem('invalid', `could not map the item: ${(err as Error)?.message ?? String(err)}`);
      reject(batch, { reason: problem.reason, path: item.path, detail: problem.detail, raw: item.raw, route });
    }
  }

  const envelopes: Envelope[] = [];
  for (const { item, route, draft, id } of assignIds(input.platform, mapped)) {
    const metadata: Record<string, unknown> = {
      raw_platform_event_id: draft.rawId,
      source: 'webhook',
      platform_event_kind: draft.kind,
    };
    if (receivedAt) metadata.received_at = receivedAt;
    if (input.requestId) metadata.request_id = input.requestId;
    if (draft.detail && hasKeys(draft.detail)) metadata.platform_detail = draft.detail;
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

/**
 * The Block of each item. An edge attribute wins (it was resolved from our
 * records to authenticate the request); otherwise the item's accounts, each
 * distinct lookup once per batch. Even an item naming no account is asked
 * about: a static router (CLI, tests) routes everything.
 */
async function resolveRoutes(input: NormalizeInput, router: Router, blockId: string | undefined, items: BatchItem[]): Promise<Array<Route | undefined>> {
  if (blockId && input.workspaceId) {
    const route = { blockId, workspaceId: input.workspaceId };
    return items.map(() => route);
  }
  const keys = items.map((item) => (blockId ? `block:${blockId}` : `accounts:${item.accounts.join('\u0000')}`));
  const lookups = new Map<string, Promise<Route | undefined>>();
  items.forEach((item, i) => {
    const key = keys[i] as string;
    if (!lookups.has(key)) lookups.set(key, blockId ? router.byBlockId(blockId) : router.byAccounts(input.platform, item.accounts));
  });
  let answers: Map<string, Route | undefined>;
  try {
    const entries = [...lookups];
    const resolved = await Promise.all(entries.map(([, p]) => p));
    answers = new Map(entries.map(([key], i) => [key, resolved[i]]));
  } catch (err) {
    throw new RoutingUnavailableError(err);
  }
  return keys.map((key) => answers.get(key));
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
const idMemo = new Map<string, string>();
function remember(key: string, id: string): string {
  if (idMemo.size >= ID_MEMO_LIMIT) idMemo.clear();
  idMemo.set(key, id);
  return id;
}

/** A mapper's helpers for one routed item (a class: no closures to allocate per item). */
class ItemContext implements MapContext {
  private readonly scope: string;
  constructor(readonly platform: Platform, readonly route: Route, readonly receivedAt: string) {
    this.scope = `${route.workspaceId}\u0000${route.blockId}\u0000`;
  }
  contactId(userId: string): string {
    const key = `ct\u0000${this.scope}${userId}`;
    return idMemo.get(key) ?? remember(key, contactId(this.route.workspaceId, this.route.blockId, userId));
  }
  conversationId(convId: string): string {
    const key = `conv\u0000${this.scope}${convId}`;
    return idMemo.get(key) ?? remember(key, conversationId(this.route.workspaceId, this.route.blockId, convId));
  }
  messageId(platformMessageId: string): string {
    return messageId(this.route.blockId, platformMessageId);
  }
}

/**
 * Event ids: eventId(platform, Block, type, raw id, discriminator). Platforms
 * whose ids repeat inside one batch (LINE sends several events under one
 * webhookEventId, and two identical items are possible anywhere) would yield
 * one id for distinct events; only those colliding ids also hash the item's
 * place in the batch, which keeps them distinct and still stable across
 * redeliveries of the same batch, while every other id stays position-free.
 */
function assignIds(platform: Platform, mapped: Mapped[]) {
  const out = mapped.flatMap(({ item, route, drafts }) =>
    drafts.map((draft, index) => ({
      item,
      route,
      draft,
      index,
      id: eventId({ platform, blockId: route.blockId, type: draft.type, rawId: draft.rawId, discriminator: draft.discriminator }),
    })),
  );
  const seen = new Map<string, number>();
  for (const e of out) seen.set(e.id, (seen.get(e.id) ?? 0) + 1);
  for (const e of out) {
    if ((seen.get(e.id) ?? 0) > 1) {
      e.id = eventId({
        platform,
        blockId: e.route.blockId,
        type: e.draft.type,
        rawId: e.draft.rawId,
        discriminator: [...(e.draft.discriminator ?? []), 'at', e.item.path, e.index],
      });
    }
  }
  return out;
}
