/**
 * The unrouted items (operators): what no workspace claimed, with the
 * reason, and a replay button for after the Block is connected. A refused
 * replay (still unroutable, body expired) shows its reason on the row.
 */
import type { UnroutedRow } from './api';
import type { Context } from './context';
import { byId, cell, fill, h, time } from './dom';
import { CursorStack } from './pager';
import { clearProblem, describeProblem, showProblem } from './problem-view';

function row(ctx: Context, u: UnroutedRow): HTMLTableRowElement {
  const outcome = h('div', { class: 'replay-outcome', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'small' }, 'Replay');
  button.addEventListener('click', async () => {
    button.disabled = true;
    fill(outcome, 'Replaying…');
    try {
      const r = await ctx.api.replayUnrouted(u.id);
      const to = r.routed_to.map((t) => t.workspace_id ?? '?').join(', ');
      fill(
        outcome,
        h('span', { class: 'ok' }, `Routed to ${to || 'no workspace'} as `),
        ...r.event_ids.map((id) => h('code', {}, id, ' ')),
      );
    } catch (err) {
      fill(outcome, h('span', { class: 'error-text' }, ...describeProblem(err)));
    } finally {
      button.disabled = false;
    }
  });
  const done = u.routed_to.length
    ? h('div', { class: 'muted small' }, `routed to ${u.routed_to.map((r) => r.workspace_id ?? '?').join(', ')}`)
    : null;
  return h(
    'tr',
    { 'data-id': u.id },
    cell('Time', time(u.timestamp), h('div', { class: 'muted small' }, u.id)),
    cell('Platform', u.platform ?? '—'),
    cell(
      'Reason',
      h('strong', {}, u.rejection?.reason ?? u.status ?? '—'),
      u.rejection?.detail ? h('div', { class: 'small' }, u.rejection.detail) : null,
    ),
    cell('Accounts', u.accounts.length ? h('span', { class: 'ids' }, ...u.accounts.map((a) => h('code', {}, a))) : '—'),
    cell('Replay', button, done, outcome),
  );
}

export interface UnroutedList {
  load(): Promise<void>;
  reset(): void;
}

export function createUnroutedList(ctx: Context): UnroutedList {
  const pager = new CursorStack();
  const body = byId('unrouted').querySelector('tbody') as HTMLTableSectionElement;

  let latest = 0;
  async function load() {
    const mine = ++latest;
    try {
      const page = await ctx.api.listUnrouted(ctx.state.filter, pager.current);
      // A newer load (another filter or page) has the say.
      if (mine !== latest) return;
      clearProblem();
      pager.shown(page.next_cursor);
      fill(body, ...page.items.map((u) => row(ctx, u)));
      byId('unrouted-empty').hidden = page.items.length > 0;
      byId<HTMLButtonElement>('unrouted-prev').disabled = !pager.hasPrevious;
      byId<HTMLButtonElement>('unrouted-next').disabled = !pager.hasNext;
      byId('unrouted-page').textContent = `page ${pager.page + 1}`;
    } catch (err) {
      if (mine === latest) showProblem(err);
    }
  }
  byId('unrouted-next').addEventListener('click', () => {
    pager.forward();
    void load();
  });
  byId('unrouted-prev').addEventListener('click', () => {
    pager.back();
    void load();
  });
  return { load, reset: () => pager.reset() };
}
