/**
 * The event table: newest first, one page at a time (cursor stack), and a
 * live mode that polls the first page and prepends what is new, marked so
 * the eye finds it.
 */
import type { EventRow } from './api';
import type { Context } from './context';
import { byId, cell, fill, h, time } from './dom';
import { CursorStack } from './pager';
import { clearProblem, showProblem } from './problem-view';
import { badge, consumerOutcomes, describeLastError } from './status';

/** How often live mode asks for new events. */
export const LIVE_POLL_MS = 3000;

export interface EventsList {
  /** Loads the current page again (after a filter change, call reset first). */
  load(): Promise<void>;
  reset(): void;
  setLive(on: boolean): void;
}

/** A real link to an event's detail (opens in a new tab too), followed in-page on a plain click. */
export function eventLink(ctx: Context, id: string, text: string): HTMLAnchorElement {
  return h(
    'a',
    {
      href: ctx.href({ event: id }),
      onclick: (e: Event) => {
        const m = e as MouseEvent;
        if (m.ctrlKey || m.metaKey || m.shiftKey || m.button !== 0) return;
        e.preventDefault();
        ctx.navigate({ event: id });
      },
    },
    text,
  );
}

export function ids(values: string[] | undefined, link?: (id: string) => HTMLElement): HTMLElement {
  if (!values?.length) return h('span', { class: 'muted' }, '—');
  return h('span', { class: 'ids' }, ...values.map((v) => (link ? link(v) : h('code', {}, v))));
}

function row(ctx: Context, e: EventRow, fresh: boolean): HTMLTableRowElement {
  const notes = h(
    'span',
    { class: 'notes' },
    e.replay_of ? h('span', { class: 'muted' }, 'replay of ', eventLink(ctx, e.replay_of, e.replay_of)) : null,
    e.replays.length ? h('span', { class: 'muted' }, `replayed ×${e.replays.length}`) : null,
    e.last_error ? h('span', { class: 'error-text' }, describeLastError(e.last_error)) : null,
    e.rejection?.reason ? h('span', { class: 'error-text' }, `${e.rejection.reason}: ${e.rejection.detail ?? ''}`) : null,
  );
  return h(
    'tr',
    { 'data-id': e.id, class: fresh ? 'fresh' : undefined },
    cell('Time', time(e.timestamp)),
    cell('Platform', e.platform ?? '—'),
    cell('Type', eventLink(ctx, e.id, e.type ?? e.kind ?? e.id), h('div', { class: 'muted small' }, e.id)),
    cell('Status', badge(e.status), consumerOutcomes(e.consumers), notes),
    cell('Contact', e.contact_id ? h('code', {}, e.contact_id) : h('span', { class: 'muted' }, '—')),
    cell('Executions', ids(e.execution_ids)),
  );
}

export function createEventsList(ctx: Context): EventsList {
  const pager = new CursorStack();
  const body = byId('events').querySelector('tbody') as HTMLTableSectionElement;
  let rows: EventRow[] = [];
  let fresh = new Set<string>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let polling = false;

  function render() {
    fill(body, ...rows.map((e) => row(ctx, e, fresh.has(e.id))));
    byId('events-empty').hidden = rows.length > 0;
    byId<HTMLButtonElement>('events-prev').disabled = !pager.hasPrevious;
    byId<HTMLButtonElement>('events-next').disabled = !pager.hasNext;
    byId('events-page').textContent = `page ${pager.page + 1}`;
  }

  // Only the latest load may show its answer: a slow answer to an older filter must not replace a newer one.
  let latest = 0;
  async function load() {
    const mine = ++latest;
    try {
      const page = await ctx.api.listEvents(ctx.state.ws, ctx.state.filter, pager.current);
      if (mine !== latest) return;
      clearProblem();
      rows = page.items;
      fresh = new Set();
      pager.shown(page.next_cursor);
      render();
    } catch (err) {
      if (mine === latest) showProblem(err);
    }
  }

  async function poll() {
    const status = byId('live-status');
    if (polling || pager.page !== 0 || ctx.state.event || ctx.state.view !== 'events' || document.hidden) return;
    polling = true;
    try {
      const asked = latest;
      const page = await ctx.api.listEvents(ctx.state.ws, ctx.state.filter);
      // A load since (another filter, another page) makes this answer stale.
      if (asked !== latest || pager.page !== 0) return;
      const shown = new Map(rows.map((r) => [r.id, r]));
      const added = page.items.filter((r) => !shown.has(r.id));
      // Rows already shown take their new status (a processing event that has since succeeded).
      const updated = new Map(page.items.map((r) => [r.id, r]));
      // Newest first still: an event logged late (a retried delivery) takes its place by time, highlighted there.
      rows = [...added, ...rows.map((r) => updated.get(r.id) ?? r)].sort((a, b) => (b.timestamp ?? '').localeCompare(a.timestamp ?? ''));
      fresh = new Set(added.map((r) => r.id));
      if (rows.length === added.length) pager.shown(page.next_cursor);
      render();
      status.textContent = `checked ${new Date().toLocaleTimeString()}${added.length ? ` · ${added.length} new` : ''}`;
    } catch (err) {
      status.textContent = 'live check failed';
      showProblem(err);
    } finally {
      polling = false;
    }
  }

  byId('events-next').addEventListener('click', () => {
    pager.forward();
    void load();
  });
  byId('events-prev').addEventListener('click', () => {
    pager.back();
    void load();
  });

  return {
    load,
    reset: () => pager.reset(),
    setLive(on) {
      if (timer) clearInterval(timer);
      timer = on ? setInterval(() => void poll(), LIVE_POLL_MS) : undefined;
      byId('live-status').textContent = on ? 'watching for new events…' : '';
    },
  };
}
