/** A status as a coloured badge, and each consumer's outcome next to it. */
import type { ConsumerOutcome } from './api';
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
