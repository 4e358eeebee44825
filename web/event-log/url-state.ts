/**
 * What the page shows, kept in its URL so a view can be shared: the
 * workspace, the view (events or unrouted), the filters, and the open event.
 * The cursor is not in it: paging is a stack of cursors held by the page.
 */
import type { Filter } from './api';

/** The event list's filters, in the API's parameter names. `type` takes an exact type or a prefix (`messaging.*`). */
export const EVENT_FILTERS = ['platform', 'type', 'status', 'contact_id', 'block_id', 'replayed', 'from', 'to'] as const;
export const UNROUTED_FILTERS = ['platform', 'reason', 'account', 'from', 'to'] as const;

export type View = 'events' | 'unrouted';

export interface PageState {
  ws: string;
  view: View;
  filter: Filter;
  /** The event whose detail is open. */
  event: string | null;
}

export const DEFAULT_WORKSPACE = 'ws_demo';

export function readState(search: string): PageState {
  const q = new URLSearchParams(search);
  const view: View = q.get('view') === 'unrouted' ? 'unrouted' : 'events';
  const names: readonly string[] = view === 'unrouted' ? UNROUTED_FILTERS : EVENT_FILTERS;
  const filter: Filter = {};
  for (const name of names) {
    const v = q.get(name);
    if (v) filter[name] = v;
  }
  return { ws: q.get('ws') || DEFAULT_WORKSPACE, view, filter, event: q.get('event') || null };
}

export function writeState(s: PageState): string {
  const q = new URLSearchParams();
  q.set('ws', s.ws);
  if (s.view !== 'events') q.set('view', s.view);
  for (const [k, v] of Object.entries(s.filter)) if (v) q.set(k, v);
  if (s.event) q.set('event', s.event);
  return `?${q.toString()}`;
}

/** An ISO time as a `datetime-local` input value in the reader's zone (seconds kept). */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const local = new Date(d.getTime() - d.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 19);
}

/** A `datetime-local` input value (the reader's zone) as ISO 8601 UTC; '' when empty or invalid. */
export function fromLocalInput(value: string): string {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}
