/**
 * Bulk replay of the current filter, in three steps: a dry run that counts
 * what would be replayed (nothing is sent), an explicit confirmation (an
 * empty filter, i.e. every event of the workspace, needs a second one), then
 * the job's progress until it ends.
 */
import { JOB_FINISHED, type Filter, type ReplayJob } from './api';
import { newKey, type Context } from './context';
import { byId, fill, h } from './dom';
import { eventLink } from './events-list';
import { describeProblem } from './problem-view';
import { badge } from './status';

/** How often a running job's progress is read. */
export const JOB_POLL_MS = 1000;

const describeFilter = (f: Filter) =>
  Object.keys(f).length
    ? Object.entries(f)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')
    : 'no filter';

function progress(ctx: Context, job: ReplayJob): HTMLElement[] {
  const failures = Object.entries(job.results).filter(([, r]) => r.error || r.reason);
  return [
    h('p', {}, 'Job ', h('code', {}, job.job_id), ' ', badge(job.status)),
    h('progress', { max: Math.max(job.total, 1), value: job.total ? job.done : 1, id: 'bulk-progress' }),
    h('p', { id: 'bulk-counts' }, `${job.done} of ${job.total} done · ${job.replayed} replayed · ${job.failed} failed`),
    failures.length
      ? h(
          'ul',
          { class: 'failures' },
          ...failures.slice(0, 20).map(([id, r]) => h('li', {}, eventLink(ctx, id, id), `: ${r.reason ?? 'failed'} ${r.error ?? ''}`)),
        )
      : h('span', {}),
  ];
}

/** `finished` runs when the job has ended (the list then shows the replays). */
export async function openBulkReplay(ctx: Context, finished: () => void): Promise<void> {
  const panel = byId('bulk');
  const ws = ctx.state.ws;
  const filter = { ...ctx.state.filter };
  const empty = Object.keys(filter).length === 0;
  const close = h('button', { type: 'button', class: 'secondary', onclick: () => (panel.hidden = true) }, 'Close');
  const heading = h('h2', {}, 'Replay all matching events');
  const scope = h('p', {}, `Workspace ${ws} · ${describeFilter(filter)}`);
  panel.hidden = false;
  fill(panel, heading, scope, h('p', { class: 'muted' }, 'Dry run: counting the matching events…'), close);

  let dry;
  try {
    dry = await ctx.api.dryRun(ws, filter);
  } catch (err) {
    fill(panel, heading, scope, h('p', { class: 'error-text' }, ...describeProblem(err)), close);
    return;
  }
  const count = h(
    'p',
    { id: 'bulk-count', class: 'count' },
    dry.too_many
      ? `More than ${dry.max_events} events match: narrow the filter (a shorter time range, or replayed = no) and replay in parts.`
      : `Dry run: ${dry.matching} event${dry.matching === 1 ? '' : 's'} would be replayed. Nothing has been sent yet.`,
  );
  if (dry.too_many || dry.matching === 0) {
    fill(panel, heading, scope, count, close);
    return;
  }

  // One key for this confirmation: clicking twice, or a retry after a lost answer, is one job.
  const key = newKey();
  const confirm = h('button', { type: 'button', id: 'bulk-confirm', class: 'danger' }, `Replay ${dry.matching} events`);
  const all = h('input', { type: 'checkbox', id: 'bulk-all' });
  const allLabel = empty
    ? h('label', { class: 'warning' }, all, ` No filter: replay every event of workspace ${ws} (${dry.matching}).`)
    : null;
  confirm.disabled = empty;
  all.addEventListener('change', () => (confirm.disabled = !all.checked));
  const status = h('div', { id: 'bulk-status', 'aria-live': 'polite' });
  fill(panel, heading, scope, count, allLabel, h('div', { class: 'actions' }, confirm, close), status);

  confirm.addEventListener('click', async () => {
    confirm.disabled = true;
    all.disabled = true;
    fill(status, 'Starting the replay job…');
    try {
      let job = await ctx.api.startReplay(ws, filter, empty && all.checked, key);
      fill(status, ...progress(ctx, job));
      while (!JOB_FINISHED.has(job.status)) {
        await new Promise((r) => setTimeout(r, JOB_POLL_MS));
        job = await ctx.api.getJob(ws, job.job_id);
        fill(status, ...progress(ctx, job));
      }
      finished();
    } catch (err) {
      fill(status, h('p', { class: 'error-text' }, ...describeProblem(err)));
      confirm.disabled = empty && !all.checked;
      all.disabled = false;
    }
  });
}
