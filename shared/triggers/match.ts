/**
 * The matcher: a pure function of (workspace index, envelope) -> the
 * workflows to start. No I/O, so it is unit-tested with tables and benched.
 *
 * Rules:
 *   - a trigger applies when its event type, Block and platform filters and
 *     its own predicate (keywords, payload, post, emoji, field conditions) hold;
 *   - triggers of an exclusive group (message, postback, comment, story_reply)
 *     compete: only the best-ranked match of each group starts (see compile.ts
 *     for the rank);
 *   - other triggers (follow, unfollow, reaction, order, contact, event) all start;
 *   - a fallback trigger (best-ranked one) starts for an inbound message only
 *     when no message trigger of the workspace matched;
 *   - a workflow starts at most once per event, and never for an event it
 *     caused (`exclude`, see loops.ts). An excluded workflow takes no part in
 *     a group's competition, so the next-ranked match of the group wins.
 */
import type { Envelope } from '../envelope';
import { EMPTY_INDEX, eventText, type CompiledTrigger, type ExclusiveGroup, type MatchInput, type WorkspaceIndex } from './compile';

export interface Start {
  workflow_id: string;
  trigger_id: string;
  /** Competing (keyword / payload / fallback) starts give way to a waiting execution that intercepts the reply. */
  exclusive: boolean;
}

export interface MatchOptions {
  /** Workflows that must not start for this event (they caused it). */
  exclude?: ReadonlySet<string>;
  /** Told of each trigger that matched but whose workflow is excluded, so the skip can be logged. */
  onExcluded?: (start: Omit<Start, 'exclusive'>) => void;
}

function applies(t: CompiledTrigger, envelope: Envelope, input: MatchInput, options: MatchOptions): boolean {
  if (t.blockIds && (envelope.block_id === null || !t.blockIds.has(envelope.block_id))) return false;
  if (t.platforms && !t.platforms.has(envelope.platform)) return false;
  if (!t.test(input)) return false;
  // Checked last so that only a trigger that really matched is reported as excluded.
  if (options.exclude?.has(t.workflowId)) {
    options.onExcluded?.({ workflow_id: t.workflowId, trigger_id: t.triggerId });
    return false;
  }
  return true;
}

export function matchEvent(index: WorkspaceIndex = EMPTY_INDEX, envelope: Envelope, options: MatchOptions = {}): Start[] {
  const candidates = index.byType.get(envelope.type);
  const isInbound = envelope.type === 'messaging.message.received' && envelope.data.message.direction === 'inbound';
  if (!candidates && !(isInbound && index.fallbacks.length > 0)) return [];

  let text: string | undefined;
  const input: MatchInput = { envelope, text: () => (text ??= eventText(envelope)) };
  const won = new Set<ExclusiveGroup>();
  const started = new Set<string>();
  const starts: Start[] = [];
  const add = (t: CompiledTrigger, exclusive: boolean) => {
    if (started.has(t.workflowId)) return;
    started.add(t.workflowId);
    starts.push({ workflow_id: t.workflowId, trigger_id: t.triggerId, exclusive });
  };

  // Candidates are in rank order: the first match of a group is its winner.
  for (const t of candidates ?? []) {
    if (t.group && won.has(t.group)) continue;
    if (!applies(t, envelope, input, options)) continue;
    if (t.group) won.add(t.group);
    add(t, t.group !== undefined);
  }
  if (isInbound && !won.has('message')) {
    const fallback = index.fallbacks.find((t) => applies(t, envelope, input, options));
    if (fallback) add(fallback, true);
  }
  return starts;
}
