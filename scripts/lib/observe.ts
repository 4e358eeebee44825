/**
 * Follows one webhook request through the pipeline by reading what it left in
 * Firestore: the event log entries naming its request id (envelopes, rejected
 * items), their processing status, and the executions linked to them.
 */
import type { Firestore } from '@google-cloud/firestore';
import { RAW_MESSAGES, rawMessageId } from '../../shared/event-log/raw-store';

export interface ObservedEntry {
  id: string;
  kind: string;
  type: string | null;
  status: string | null;
  contact_id: string | null;
  consumers: Record<string, { status: string; attempt?: number; error?: string }>;
  execution_ids: string[];
  rejection: { reason: string; detail: string; path: string } | null;
  /** The webhook request the entry was first logged from (a redelivery keeps the first one's). */
  request_id: string | null;
  /** Where it was found: a workspace's event_log, or unrouted_events. */
  collection: string;
}

export interface ObservedExecution {
  id: string;
  workflow_id: string | null;
  status: string | null;
}

export interface Observation {
  entries: ObservedEntry[];
  executions: Record<string, ObservedExecution>;
  /** True when every entry reached a final status and nothing new appeared for a while. */
  settled: boolean;
}

const FINAL = new Set(['success', 'failed']);

function toEntry(id: string, data: Record<string, unknown>, collection: string): ObservedEntry {
  return {
    id,
    kind: (data.kind as string) ?? 'event',
    type: (data.type as string | null) ?? null,
    status: (data.status as string | null) ?? null,
    contact_id: (data.contact_id as string | null) ?? null,
    consumers: (data.consumers as ObservedEntry['consumers']) ?? {},
    execution_ids: (data.execution_ids as string[] | undefined) ?? [],
    rejection: (data.rejection as ObservedEntry['rejection']) ?? null,
    request_id: (data.request_id as string | null) ?? null,
    collection,
  };
}

/** One look at Firestore: every log entry of the request. */
export async function readRequest(db: Firestore, workspaceId: string, requestId: string): Promise<Observation> {
  const [logged, unrouted] = await Promise.all([
    db.collection('workspaces').doc(workspaceId).collection('event_log').where('request_id', '==', requestId).get(),
    db.collection('unrouted_events').where('request_id', '==', requestId).get(),
  ]);
  const entries = [
    ...logged.docs.map((d) => toEntry(d.id, d.data(), `workspaces/${workspaceId}/event_log`)),
    ...unrouted.docs.map((d) => toEntry(d.id, d.data(), 'unrouted_events')),
  ].sort((a, b) => a.id.localeCompare(b.id));
  const executions: Record<string, ObservedExecution> = {};
  const ids = [...new Set(entries.flatMap((e) => e.execution_ids))];
  if (ids.length) {
    const refs = ids.map((id) => db.collection('workspaces').doc(workspaceId).collection('executions').doc(id));
    for (const snap of await db.getAll(...refs)) {
      executions[snap.id] = {
        id: snap.id,
        workflow_id: (snap.get('workflow_id') as string | undefined) ?? null,
        status: (snap.get('status') as string | undefined) ?? (snap.exists ? null : 'not found'),
      };
    }
  }
  // Rejected items have no consumers: being logged is their final state.
  const final = (e: ObservedEntry) => e.kind !== 'event' || (e.status !== null && FINAL.has(e.status));
  return { entries, executions, settled: entries.length > 0 && entries.every(final) };
}

export interface WaitOptions {
  timeoutMs?: number;
  /** How long the set of entries must stay unchanged and final (derived events arrive a little later). */
  quietMs?: number;
  /** Keep waiting until at least this many entries exist. */
  minEntries?: number;
  /** Called on every poll with what is there so far. */
  onPoll?: (o: Observation) => void;
}

const fingerprint = (o: Observation) =>
  JSON.stringify(
    o.entries.map((e) => [e.id, e.status, e.execution_ids.length]).concat(Object.values(o.executions).map((x) => [x.id, x.status])),
  );

/**
 * Polls until the request's entries are all final and stable, or the deadline
 * passes; returns the last observation either way (settled says which).
 */
export async function waitForRequest(
  db: Firestore,
  workspaceId: string,
  requestId: string,
  options: WaitOptions = {},
): Promise<Observation> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  const quietMs = options.quietMs ?? 750;
  let last: Observation = { entries: [], executions: {}, settled: false };
  let stableSince = Date.now();
  let lastPrint = '';
  while (Date.now() < deadline) {
    const now = await readRequest(db, workspaceId, requestId);
    options.onPoll?.(now);
    const print = fingerprint(now);
    if (print !== lastPrint) {
      lastPrint = print;
      stableSince = Date.now();
    }
    last = now;
    if (now.settled && now.entries.length >= (options.minEntries ?? 1) && Date.now() - stableSince >= quietMs) return now;
    await new Promise((r) => setTimeout(r, 150));
  }
  return { ...last, settled: false };
}

/**
 * The log entries with these ids, wherever they are (the workspace's log or
 * unrouted_events): how `npm run send` finds the entries a deduplicated
 * redelivery matched, which keep the first request's id.
 */
export async function readEntries(db: Firestore, workspaceId: string, ids: readonly string[]): Promise<ObservedEntry[]> {
  if (!ids.length) return [];
  const log = db.collection('workspaces').doc(workspaceId).collection('event_log');
  const [logged, unrouted] = await Promise.all([
    db.getAll(...ids.map((id) => log.doc(id))),
    db.getAll(...ids.map((id) => db.collection('unrouted_events').doc(id))),
  ]);
  const found = new Map<string, ObservedEntry>();
  for (const snap of unrouted) if (snap.exists) found.set(snap.id, toEntry(snap.id, snap.data()!, 'unrouted_events'));
  for (const snap of logged) if (snap.exists) found.set(snap.id, toEntry(snap.id, snap.data()!, `workspaces/${workspaceId}/event_log`));
  return ids.filter((id) => found.has(id)).map((id) => found.get(id)!);
}

/** True once the event log stored the request's body (it subscribes to webhook-raw next to the normalizer). */
export async function rawReceived(db: Firestore, platform: string, requestId: string): Promise<boolean> {
  return (await db.collection(RAW_MESSAGES).doc(rawMessageId(platform, requestId)).get()).exists;
}

export type RedeliveryVerdict = { duplicate: true; firstRequestIds: string[] } | { duplicate: false };

/**
 * Whether a request that left no entry of its own was a redelivery the
 * pipeline deduplicated: every entry its body maps to (`expectedIds`, from the
 * local normalizer) is already in the log under another request's id, and the
 * pipeline had time to log anything new (`settled`: its body reached the log
 * a while ago, or the wait is over).
 */
export function redeliveryVerdict(input: {
  requestId: string;
  ownEntries: number;
  expectedIds: readonly string[];
  found: ReadonlyArray<Pick<ObservedEntry, 'id' | 'request_id'>>;
  settled: boolean;
}): RedeliveryVerdict {
  const { requestId, ownEntries, expectedIds, found, settled } = input;
  if (ownEntries > 0 || !expectedIds.length || !settled) return { duplicate: false };
  const byId = new Map(found.map((e) => [e.id, e]));
  if (!expectedIds.every((id) => byId.has(id) && byId.get(id)!.request_id !== requestId)) return { duplicate: false };
  const firstRequestIds = [...new Set(expectedIds.map((id) => byId.get(id)!.request_id).filter((r): r is string => !!r))];
  return { duplicate: true, firstRequestIds };
}
