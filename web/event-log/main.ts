/**
 * The Event Log page: wires the views to the URL. Everything the page shows
 * comes from the events API (api.ts) at the address the page was served from;
 * everything it shows of it is text (dom.ts), never markup.
 */
import { createApiClient, type Filter } from './api';
import { openBulkReplay } from './bulk';
import type { Context } from './context';
import { showDetail } from './detail';
import { byId } from './dom';
import { createEventsList } from './events-list';
import { clearProblem } from './problem-view';
import { createUnroutedList } from './unrouted';
import { fromLocalInput, readState, toLocalInput, writeState, type PageState } from './url-state';

const TIME_FIELDS = new Set(['from', 'to']);

function formFilter(form: HTMLFormElement): Filter {
  const filter: Filter = {};
  for (const [name, value] of new FormData(form)) {
    const v = String(value).trim();
    const stored = TIME_FIELDS.has(name) ? fromLocalInput(v) : v;
    if (stored) filter[name] = stored;
  }
  return filter;
}

function fillForm(form: HTMLFormElement, filter: Filter): void {
  for (const el of Array.from(form.elements)) {
    if (!(el instanceof HTMLInputElement || el instanceof HTMLSelectElement) || !el.name) continue;
    const v = filter[el.name] ?? '';
    el.value = TIME_FIELDS.has(el.name) && v ? toLocalInput(v) : v;
  }
}

/** The filter box's summary says how many filters apply; on a phone the box starts closed unless some do. */
function summarize(form: HTMLFormElement, filter: Filter, first: boolean): void {
  const count = Object.keys(filter).length;
  const summary = byId(`${form.id}-summary`);
  summary.textContent = count ? `Filters · ${count} active` : 'Filters';
  const box = form.closest('details');
  if (first && box && count === 0 && matchMedia('(max-width: 700px)').matches) box.open = false;
}

function start(): void {
  const ctx: Context = {
    api: createApiClient(new URL('.', location.href).toString()),
    state: readState(location.search),
    navigate(change) {
      const before = ctx.state;
      ctx.state = { ...before, ...change };
      const listChanged =
        before.ws !== ctx.state.ws || before.view !== ctx.state.view || JSON.stringify(before.filter) !== JSON.stringify(ctx.state.filter);
      if (listChanged) {
        events.reset();
        unrouted.reset();
        byId('bulk').hidden = true;
      }
      history.pushState(null, '', writeState(ctx.state));
      // Another view starts at its top, not where the last one was scrolled to.
      if (before.event !== ctx.state.event || listChanged) window.scrollTo(0, 0);
      void show();
    },
    href: (change) => writeState({ ...ctx.state, ...change }),
  };
  const events = createEventsList(ctx);
  const unrouted = createUnroutedList(ctx);
  const eventsForm = byId<HTMLFormElement>('filters');
  const unroutedForm = byId<HTMLFormElement>('unrouted-filters');
  const wsInput = byId<HTMLInputElement>('ws');

  const shown = new Set<string>();
  async function show(): Promise<void> {
    const s: PageState = ctx.state;
    clearProblem();
    wsInput.value = s.ws;
    const tabs = { events: byId<HTMLAnchorElement>('tab-events'), unrouted: byId<HTMLAnchorElement>('tab-unrouted') };
    tabs.events.href = writeState({ ws: s.ws, view: 'events', filter: {}, event: null });
    tabs.unrouted.href = writeState({ ws: s.ws, view: 'unrouted', filter: {}, event: null });
    for (const [view, tab] of Object.entries(tabs)) {
      if (view === s.view) tab.setAttribute('aria-current', 'page');
      else tab.removeAttribute('aria-current');
    }
    byId('events-view').hidden = s.view !== 'events' || s.event !== null;
    byId('unrouted-view').hidden = s.view !== 'unrouted' || s.event !== null;
    byId('detail-view').hidden = s.event === null;
    if (s.event) return showDetail(ctx, s.event);
    const form = s.view === 'unrouted' ? unroutedForm : eventsForm;
    fillForm(form, s.filter);
    summarize(form, s.filter, !shown.has(form.id));
    shown.add(form.id);
    return s.view === 'unrouted' ? unrouted.load() : events.load();
  }

  for (const [view, tab] of [
    ['events', 'tab-events'],
    ['unrouted', 'tab-unrouted'],
  ] as const) {
    byId(tab).addEventListener('click', (e) => {
      e.preventDefault();
      ctx.navigate({ view, filter: {}, event: null });
    });
  }
  eventsForm.addEventListener('submit', (e) => {
    e.preventDefault();
    ctx.navigate({ filter: formFilter(eventsForm), event: null });
  });
  unroutedForm.addEventListener('submit', (e) => {
    e.preventDefault();
    ctx.navigate({ filter: formFilter(unroutedForm), event: null });
  });
  byId('clear').addEventListener('click', () => ctx.navigate({ filter: {}, event: null }));
  byId('unrouted-clear').addEventListener('click', () => ctx.navigate({ filter: {}, event: null }));
  byId('ws-form').addEventListener('submit', (e) => {
    e.preventDefault();
    if (wsInput.checkValidity()) ctx.navigate({ ws: wsInput.value, event: null });
  });
  wsInput.addEventListener('change', () => {
    if (wsInput.checkValidity() && wsInput.value !== ctx.state.ws) ctx.navigate({ ws: wsInput.value, event: null });
  });
  byId<HTMLInputElement>('live').addEventListener('change', (e) => events.setLive((e.target as HTMLInputElement).checked));
  byId('bulk-open').addEventListener('click', () => void openBulkReplay(ctx, () => void events.load()));
  window.addEventListener('popstate', () => {
    const next = readState(location.search);
    if (next.ws !== ctx.state.ws || next.view !== ctx.state.view || JSON.stringify(next.filter) !== JSON.stringify(ctx.state.filter)) {
      events.reset();
      unrouted.reset();
    }
    ctx.state = next;
    void show();
  });
  // The canonical URL (the default workspace written out), without a new history entry.
  history.replaceState(null, '', writeState(ctx.state));
  void show();
}

start();
