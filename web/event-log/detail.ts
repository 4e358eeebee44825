/**
 * One event in full: what it is, how each consumer handled it (attempts,
 * errors), its executions, its replays and what it replays, the envelope and
 * the raw platform item, and a button that replays it and shows the new ids.
 */
import type { EventDetail } from './api';
import { newKey, type Context } from './context';
import { byId, cell, fill, h, pretty, time, type Child } from './dom';
import { eventLink, ids } from './events-list';
import { clearProblem, describeProblem, showProblem } from './problem-view';
import { badge, describeLastError } from './status';

function field(label: string, ...value: Child[]): HTMLElement[] {
  return [h('dt', {}, label), h('dd', {}, ...value)];
}

function consumersTable(e: EventDetail): HTMLElement {
  const names = Object.keys(e.consumers).sort();
  if (!names.length) return h('p', { class: 'muted' }, 'No consumer has reported on this event yet.');
  return h(
    'table',
    { class: 'consumers-table' },
    h(
      'thead',
      {},
      h('tr', {}, h('th', {}, 'Consumer'), h('th', {}, 'Outcome'), h('th', {}, 'Attempts'), h('th', {}, 'Error'), h('th', {}, 'At')),
    ),
    h(
      'tbody',
      {},
      ...names.map((name) => {
        const c = e.consumers[name]!;
        return h(
          'tr',
          {},
          cell('Consumer', name),
          cell('Outcome', badge(c.status)),
          cell('Attempts', String(c.attempt ?? '—')),
          cell('Error', c.error ? h('span', { class: 'error-text' }, c.error) : h('span', { class: 'muted' }, '—')),
          cell('At', time(c.at)),
        );
      }),
    ),
  );
}

export async function showDetail(ctx: Context, id: string): Promise<void> {
  const view = byId('detail-view');
  const back = h('button', { type: 'button', class: 'secondary', onclick: () => ctx.navigate({ event: null }) }, '← Back to the list');
  fill(view, back, h('p', { class: 'muted' }, `Loading ${id}…`));
  let e: EventDetail;
  try {
    e = await ctx.api.getEvent(ctx.state.ws, id);
  } catch (err) {
    if (ctx.state.event !== id) return;
    fill(view, back);
    showProblem(err);
    return;
  }
  // The reader has moved on (back to the list, another event) while this one loaded.
  if (ctx.state.event !== id) return;
  clearProblem();
  const link = (target: string) => eventLink(ctx, target, target);

  // One key per rendering of the detail: a double click replays once.
  const key = newKey();
  const outcome = h('div', { class: 'replay-outcome', 'aria-live': 'polite' });
  const replay = h('button', { type: 'button', id: 'replay-one' }, 'Replay this event');
  replay.addEventListener('click', async () => {
    replay.disabled = true;
    fill(outcome, 'Replaying…');
    try {
      const r = await ctx.api.replayEvent(ctx.state.ws, e.id, key);
      fill(outcome, h('span', { class: 'ok' }, `Replayed${r.mode ? ` (${r.mode})` : ''} as `), ids(r.event_ids, link));
    } catch (err) {
      fill(outcome, h('span', { class: 'error-text' }, ...describeProblem(err)));
      replay.disabled = false;
    }
  });

  fill(
    view,
    back,
    h('h2', {}, e.type ?? e.kind ?? e.id, ' ', badge(e.status)),
    h(
      'dl',
      { class: 'facts' },
      ...field('Id', h('code', {}, e.id)),
      ...field('Time', time(e.timestamp)),
      ...field('Received', time(e.received_at)),
      ...field('Platform', e.platform ?? '—'),
      ...field('Source', e.source ?? '—'),
      ...field('Block', e.block_id ? h('code', {}, e.block_id) : '—'),
      ...field('Contact', e.contact_id ? h('code', {}, e.contact_id) : '—'),
      ...field('Workflow executions', ids(e.execution_ids)),
      ...field('Replay of', e.replay_of ? link(e.replay_of) : '—'),
      ...field('Replays', ids(e.replays, link)),
      ...(e.request_id ? field('Request id', h('code', {}, e.request_id)) : []),
    ),
    h('div', { class: 'replay' }, replay, outcome),
    e.last_error ? h('section', {}, h('h3', {}, 'Last error'), h('pre', { class: 'error-text' }, describeLastError(e.last_error))) : null,
    e.rejection ? h('section', {}, h('h3', {}, 'Rejection'), h('pre', {}, pretty(e.rejection))) : null,
    h('section', {}, h('h3', {}, 'Consumers'), consumersTable(e)),
    h('section', {}, h('h3', {}, 'Envelope'), h('pre', { class: 'json', id: 'envelope' }, e.envelope ? pretty(e.envelope) : 'not stored')),
    h(
      'section',
      {},
      h('h3', {}, 'Raw platform item'),
      e.raw.available
        ? h('pre', { class: 'json', id: 'raw' }, pretty(e.raw.payload))
        : h('p', { class: 'muted' }, e.raw.note ?? 'not available'),
      e.raw.truncated ? h('p', { class: 'muted' }, 'cut: the payload was too large to keep whole') : null,
    ),
  );
}
