/** A status as a coloured badge, and each consumer's outcome next to it. */
import type { ConsumerOutcome, LastError } from './api';
import { h } from './dom';

export const badge = (status: string | null | undefined) => h('span', { class: `badge s-${status ?? 'unknown'}` }, status ?? 'unknown');

export function consumerOutcomes(consumers: Record<string, ConsumerOutcome> | undefined): HTMLElement | null {
  const names = Object.keys(consumers ?? {}).sort();
  if (!consumers || names.length === 0) return null;
  return h(
    'span',
    { class: 'consumers' },
    ...names.map((name) => {
      const c = consumers[name] as ConsumerOutcome;
      return h('span', { class: `consumer s-${c.status}`, title: c.error ?? '' }, `${name}: ${c.status}`);
    }),
  );
}

/** `contacts, attempt 5: the error`, from the entry's last_error. */
export function describeLastError(e: LastError): string {
  if (typeof e === 'string') return e;
  const who = [e.consumer, e.attempt !== undefined ? `attempt ${e.attempt}` : undefined].filter(Boolean).join(', ');
  return `${who}${who ? ': ' : ''}${e.error ?? 'no error message'}`;
}
