/** The one place errors are shown: an API problem's title, detail and request id, or what else went wrong. */
import { ApiProblem } from './api';
import { byId, fill, h, type Child } from './dom';

/** The problem as a block of text nodes (also used inline, next to the button that failed). */
export function describeProblem(err: unknown): Child[] {
  if (err instanceof ApiProblem) {
    return [
      h('strong', {}, `${err.title} (${err.status})`),
      err.detail ? h('span', { class: 'problem-detail' }, ` ${err.detail}`) : null,
      h('span', { class: 'problem-meta muted' }, ` code ${err.code}`, err.requestId ? ` · request id ${err.requestId}` : ''),
    ];
  }
  // A network failure or a bug: fetch says little more than its message.
  return [h('strong', {}, 'The request failed'), ` ${err instanceof Error ? err.message : String(err)}`];
}

export function showProblem(err: unknown): void {
  const box = byId('problem');
  const dismiss = h('button', { type: 'button', class: 'secondary small', onclick: () => clearProblem() }, 'Dismiss');
  fill(box, h('div', {}, ...describeProblem(err)), dismiss);
  box.hidden = false;
}

export function clearProblem(): void {
  const box = byId('problem');
  box.hidden = true;
  box.replaceChildren();
}
