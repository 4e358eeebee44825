/**
 * Which of the events (and rejections) the current normalizer makes of a
 * stored webhook body belong to one log entry. Neither the body nor the
 * platform's event id picks them out: a body may batch many items (Meta),
 * one item may make several events (a Telegram reaction update: each emoji
 * added and each removed, under one update_id), and several items may share
 * one platform id (the WhatsApp statuses of one message). So:
 *   - a failed body (`raw`), or an item that is the whole body (path ""):
 *     every event of the body;
 *   - a rejected item: the events at its batch path (`metadata.raw_path`);
 *   - an event: the one at its batch path of its type; when that item makes
 *     several of the type, the one with its id (ids hash what tells them
 *     apart, e.g. the emoji).
 * The caller keeps only its own workspace's events.
 */
import type { Envelope } from '../envelope';
import type { RejectedItem } from '../contracts/rejection';

/** What a log entry stands for in its webhook body. */
export type EntryItem = { kind: 'item'; path: string } | { kind: 'event'; id: string; type: string; raw_path: string | undefined };

/** The batch path of a rejected item or failed body; "" for a whole body; undefined when the entry came from no webhook body. */
export function itemPath(d: Record<string, unknown>): string | undefined {
  if (d.kind === 'raw') return '';
  const path = (d.rejection as { path?: unknown } | null | undefined)?.path;
  return d.kind === 'rejected' && typeof path === 'string' ? path : undefined;
}

/** The item a log entry stands for; `stored` is the entry's envelope, when it is an event and the envelope was kept. */
export function entryItem(entryId: string, d: Record<string, unknown>, stored: Envelope | undefined): EntryItem | undefined {
  if (d.kind === 'event') {
    if (typeof d.type !== 'string') return undefined;
    // An envelope too large to keep (envelope_omitted) names no path: its id alone finds it.
    return { kind: 'event', id: entryId, type: d.type, raw_path: stored?.metadata.raw_path };
  }
  const path = itemPath(d);
  return path === undefined ? undefined : { kind: 'item', path };
}

const atPath = (path: string, itemAt: string) => path === '' || itemAt === path;

export interface ItemOutput {
  envelopes: Envelope[];
  rejections: RejectedItem[];
  /** Why no event was picked although the item made some. */
  ambiguity?: string;
}

/** The events and rejections of `out` that are the entry's item. */
export function ofItem(item: EntryItem, out: { envelopes: Envelope[]; rejections: RejectedItem[] }): ItemOutput {
  if (item.kind === 'item') {
    return {
      envelopes: out.envelopes.filter((e) => atPath(item.path, e.metadata.raw_path ?? '')),
      rejections: out.rejections.filter((r) => atPath(item.path, r.path)),
    };
  }
  const path = item.raw_path;
  if (path === undefined) return { envelopes: out.envelopes.filter((e) => e.id === item.id), rejections: [] };
  const rejections = out.rejections.filter((r) => r.path === path);
  const sameKind = out.envelopes.filter((e) => e.type === item.type && e.metadata.raw_path === path);
  const same = sameKind.find((e) => e.id === item.id) ?? (sameKind.length === 1 ? sameKind[0] : undefined);
  if (same) return { envelopes: [same], rejections };
  return {
    envelopes: [],
    rejections,
    ...(sameKind.length > 1
      ? { ambiguity: `the item now makes ${sameKind.length} ${item.type} events and none has this event's id, so none is known to be it` }
      : {}),
  };
}
