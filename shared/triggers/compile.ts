/**
 * Workflows -> an in-memory index per workspace: for each event type, the
 * active triggers that listen to it, precompiled (keywords normalized, regexes
 * built, Block / platform filters as sets) and presorted by rank, so matching
 * an event is one map lookup and a short scan.
 *
 * Rank: priority (trigger's, else workflow's, else 0) descending, then
 * workflow id ascending, then the trigger's position: a total order, so the
 * winner between tied keyword triggers is deterministic.
 */
import type { Envelope, EventType } from '../envelope';
import type { FieldCondition, KeywordCondition, Trigger, TriggerKind, WorkflowRecord } from '../workflows/model';
import { compileRegex } from './regex';
import { normalizeText } from './text';

/** Triggers of one group compete: only the best-ranked match of the group starts. Others all start. */
export type ExclusiveGroup = 'message' | 'postback' | 'comment' | 'story_reply';

export interface MatchInput {
  envelope: Envelope;
  /** The event's text, normalized once and only when a keyword trigger asks. */
  text(): string;
}

export interface CompiledTrigger {
  workflowId: string;
  triggerId: string;
  kind: TriggerKind;
  priority: number;
  /** Position in the workflow's trigger list (tie-break). */
  position: number;
  group: ExclusiveGroup | undefined;
  blockIds: ReadonlySet<string> | undefined;
  platforms: ReadonlySet<string> | undefined;
  test: (input: MatchInput) => boolean;
}

export interface WorkspaceIndex {
  /** Active triggers by the event type they listen to, best rank first (fallbacks excluded). */
  byType: ReadonlyMap<string, readonly CompiledTrigger[]>;
  /** Fallback ("default reply") triggers, best rank first. */
  fallbacks: readonly CompiledTrigger[];
  /** How many active workflows the index holds. */
  activeWorkflows: number;
}

export const EMPTY_INDEX: WorkspaceIndex = { byType: new Map(), fallbacks: [], activeWorkflows: 0 };

/** The event type each trigger kind listens to (`event` names its own). */
const EVENT_TYPE_OF: Record<Exclude<TriggerKind, 'event'>, EventType> = {
  message: 'messaging.message.received',
  fallback: 'messaging.message.received',
  postback: 'messaging.postback',
  comment: 'messaging.comment.created',
  story_reply: 'messaging.story_reply.received',
  follow: 'messaging.follow',
  unfollow: 'messaging.unfollow',
  reaction: 'messaging.reaction.added',
  order_created: 'commerce.order.created',
  contact_created: 'crm.contact.created',
};

const GROUP_OF: Partial<Record<TriggerKind, ExclusiveGroup>> = {
  message: 'message',
  postback: 'postback',
  comment: 'comment',
  story_reply: 'story_reply',
};

export class TriggerCompileError extends Error {
  override readonly name = 'TriggerCompileError';
}

function keywordTest(conditions: readonly KeywordCondition[] | undefined): (text: string) => boolean {
  if (!conditions || conditions.length === 0) return () => true;
  const tests = conditions.map((c): ((text: string) => boolean) => {
    if (c.match === 'regex') {
      // RE2, linear in the text by construction: one workspace's pattern cannot hang the function for all (regex.ts).
      const re = compileRegex(c.value);
      if (!re.ok)
        throw new TriggerCompileError(
          re.kind === 'invalid'
            ? `invalid regex ${JSON.stringify(c.value)}: ${re.reason}`
            : `regex ${JSON.stringify(c.value)} refused, not supported: ${re.reason}`,
        );
      return re.test;
    }
    const value = normalizeText(c.value);
    if (c.match === 'exact') return (text) => text === value;
    if (c.match === 'starts_with') return (text) => text.startsWith(value);
    return (text) => text.includes(value);
  });
  return (text) => tests.some((t) => t(text));
}

/** Reads a dotted path (`data.order.total`) out of an envelope. */
export function valueAt(root: unknown, path: string): unknown {
  let node: unknown = root;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function conditionTest(c: FieldCondition): (envelope: Envelope) => boolean {
  switch (c.op) {
    case 'exists': {
      const wanted = c.value !== false;
      return (e) => (valueAt(e, c.path) !== undefined) === wanted;
    }
    case 'eq':
      return (e) => valueAt(e, c.path) === c.value;
    case 'neq':
      return (e) => valueAt(e, c.path) !== c.value;
    case 'in': {
      if (!Array.isArray(c.value)) throw new TriggerCompileError(`condition on ${c.path}: "in" needs an array value`);
      const set = new Set<unknown>(c.value);
      return (e) => set.has(valueAt(e, c.path));
    }
    case 'contains': {
      const needle = typeof c.value === 'string' ? normalizeText(c.value) : c.value;
      return (e) => {
        const v = valueAt(e, c.path);
        if (typeof v === 'string') return typeof needle === 'string' && normalizeText(v).includes(needle);
        return Array.isArray(v) && v.includes(needle);
      };
    }
  }
}

function textOfEvent(e: Envelope): string | undefined {
  switch (e.type) {
    case 'messaging.message.received':
    case 'messaging.story_reply.received':
      return e.data.message.text;
    case 'messaging.comment.created':
      return e.data.comment.text;
    default:
      return undefined;
  }
}

export function eventText(e: Envelope): string {
  return normalizeText(textOfEvent(e) ?? '');
}

/** The predicate of one trigger, beyond event type, Block and platform. */
function predicate(trigger: Trigger): (input: MatchInput) => boolean {
  switch (trigger.kind) {
    case 'message': {
      const kw = keywordTest(trigger.keywords);
      return (i) => i.envelope.type === 'messaging.message.received' && i.envelope.data.message.direction === 'inbound' && kw(i.text());
    }
    case 'story_reply': {
      const kw = keywordTest(trigger.keywords);
      return (i) => kw(i.text());
    }
    case 'comment': {
      const kw = keywordTest(trigger.keywords);
      const posts = trigger.post_ids && trigger.post_ids.length > 0 ? new Set(trigger.post_ids) : undefined;
      return (i) =>
        i.envelope.type === 'messaging.comment.created' && (!posts || posts.has(i.envelope.data.comment.post_id)) && kw(i.text());
    }
    case 'postback': {
      const { match, value } = trigger.payload;
      return (i) => {
        if (i.envelope.type !== 'messaging.postback') return false;
        const payload = i.envelope.data.postback.payload;
        return match === 'equals' ? payload === value : payload.startsWith(value);
      };
    }
    case 'reaction': {
      const emojis = trigger.emojis && trigger.emojis.length > 0 ? new Set(trigger.emojis) : undefined;
      return (i) => i.envelope.type === 'messaging.reaction.added' && (!emojis || emojis.has(i.envelope.data.reaction.emoji ?? ''));
    }
    case 'event': {
      const tests = (trigger.conditions ?? []).map(conditionTest);
      return (i) => tests.every((t) => t(i.envelope));
    }
    case 'fallback':
      return (i) => i.envelope.type === 'messaging.message.received' && i.envelope.data.message.direction === 'inbound';
    case 'follow':
    case 'unfollow':
    case 'order_created':
    case 'contact_created':
      return () => true;
  }
}

/** Compiles one workflow's triggers; throws TriggerCompileError when one cannot be compiled. */
export function compileWorkflow(workflow: WorkflowRecord): { eventType: string; trigger: CompiledTrigger }[] {
  return workflow.triggers.map((t, position) => ({
    eventType: t.kind === 'event' ? t.event_type : EVENT_TYPE_OF[t.kind],
    trigger: {
      workflowId: workflow.id,
      triggerId: t.id,
      kind: t.kind,
      priority: t.priority ?? workflow.priority ?? 0,
      position,
      group: GROUP_OF[t.kind],
      blockIds: t.block_ids && t.block_ids.length > 0 ? new Set(t.block_ids) : undefined,
      platforms: t.platforms && t.platforms.length > 0 ? new Set(t.platforms) : undefined,
      test: predicate(t),
    },
  }));
}

export function byRank(a: CompiledTrigger, b: CompiledTrigger): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.workflowId !== b.workflowId) return a.workflowId < b.workflowId ? -1 : 1;
  return a.position - b.position;
}

export interface IndexProblem {
  workflow_id: string;
  errors: string[];
}

/** Builds a workspace index from its active workflows; workflows that fail to compile are reported and left out. */
export function buildIndex(workflows: readonly WorkflowRecord[], onProblem: (p: IndexProblem) => void = () => {}): WorkspaceIndex {
  const byType = new Map<string, CompiledTrigger[]>();
  const fallbacks: CompiledTrigger[] = [];
  let activeWorkflows = 0;
  for (const workflow of workflows) {
    if (workflow.status !== 'active') continue;
    let compiled;
    try {
      compiled = compileWorkflow(workflow);
    } catch (err) {
      onProblem({ workflow_id: workflow.id, errors: [(err as Error).message] });
      continue;
    }
    activeWorkflows++;
    for (const { eventType, trigger } of compiled) {
      if (trigger.kind === 'fallback') fallbacks.push(trigger);
      else {
        const list = byType.get(eventType) ?? [];
        list.push(trigger);
        byType.set(eventType, list);
      }
    }
  }
  for (const list of byType.values()) list.sort(byRank);
  fallbacks.sort(byRank);
  return { byType, fallbacks, activeWorkflows };
}
