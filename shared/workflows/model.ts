/**
 * The Workflow document and its triggers, as the triggers subscriber reads
 * them from `workspaces/{ws}/workflows/{workflow_id}`. One TypeBox definition
 * gives the TypeScript types and the validator; a document that does not
 * validate is skipped (with a warning), never allowed to break matching.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { PlatformName } from '../envelope/parts';

const Opt = <T extends TSchema>(s: T) => Type.Optional(s);
const strict = { additionalProperties: false } as const;

export const KeywordCondition = Type.Object(
  {
    match: Type.Union([Type.Literal('exact'), Type.Literal('contains'), Type.Literal('starts_with'), Type.Literal('regex')]),
    value: Type.String({ minLength: 1 }),
  },
  {
    ...strict,
    description:
      'Compared case- and accent-insensitively (NFD, diacritics stripped, lowercased, spaces collapsed). A regex runs on the normalized text (at most 4096 characters); it runs on RE2 (linear time), so backreferences and lookarounds are refused when the workflow is compiled (docs/subscribers.md).',
  },
);

export const FieldCondition = Type.Object(
  {
    path: Type.String({ minLength: 1, description: 'Dotted path into the envelope, e.g. `data.order.total` or `platform`.' }),
    op: Type.Union([Type.Literal('eq'), Type.Literal('neq'), Type.Literal('contains'), Type.Literal('exists'), Type.Literal('in')]),
    value: Opt(Type.Unknown({ description: 'Not used by `exists` (which takes an optional boolean); an array for `in`.' })),
  },
  strict,
);

/** What every trigger may restrict and rank by. */
const common = {
  id: Type.String({ minLength: 1, description: 'Unique within the workflow.' }),
  block_ids: Opt(Type.Array(Type.String(), { description: 'Only events from these Blocks.' })),
  platforms: Opt(Type.Array(PlatformName, { description: 'Only events from these platforms.' })),
  priority: Opt(Type.Integer({ description: "Overrides the workflow's priority for this trigger." })),
};
const Keywords = Opt(Type.Array(KeywordCondition, { description: 'Any one matches; absent or empty = any text.' }));

const trigger = <K extends string, P extends Record<string, TSchema>>(kind: K, props: P) =>
  Type.Object({ kind: Type.Literal(kind), ...common, ...props }, strict);

export const Trigger = Type.Union([
  trigger('message', { keywords: Keywords }),
  trigger('postback', {
    payload: Type.Object({ match: Type.Union([Type.Literal('equals'), Type.Literal('prefix')]), value: Type.String() }, strict),
  }),
  trigger('comment', { post_ids: Opt(Type.Array(Type.String(), { description: 'Absent = any post.' })), keywords: Keywords }),
  trigger('story_reply', { keywords: Keywords }),
  trigger('follow', {}),
  trigger('unfollow', {}),
  trigger('reaction', { emojis: Opt(Type.Array(Type.String(), { description: 'Absent = any reaction.' })) }),
  trigger('order_created', {}),
  trigger('contact_created', {}),
  trigger('event', {
    event_type: Type.String({ minLength: 1 }),
    conditions: Opt(Type.Array(FieldCondition, { description: 'All must hold.' })),
  }),
  trigger('fallback', {}),
]);

export const WORKFLOW_STATUSES = ['active', 'paused', 'draft'] as const;

export const Workflow = Type.Object(
  {
    name: Type.String(),
    status: Type.Union(WORKFLOW_STATUSES.map((s) => Type.Literal(s))),
    priority: Opt(Type.Integer({ default: 0, description: 'Higher wins between competing keyword triggers.' })),
    triggers: Type.Array(Trigger),
    updated_at: Opt(Type.String()),
  },
  // Other services keep their own fields (steps, stats...) in the same document.
  { additionalProperties: true },
);

export type KeywordCondition = Static<typeof KeywordCondition>;
export type FieldCondition = Static<typeof FieldCondition>;
export type Trigger = Static<typeof Trigger>;
export type TriggerKind = Trigger['kind'];
export type Workflow = Static<typeof Workflow>;
/** A loaded workflow: the document plus its id. */
export type WorkflowRecord = Workflow & { id: string };

const check = TypeCompiler.Compile(Workflow);

export type WorkflowParse = { ok: true; workflow: WorkflowRecord } | { ok: false; errors: string[] };

export function parseWorkflow(id: string, data: unknown): WorkflowParse {
  if (check.Check(data)) return { ok: true, workflow: { ...data, id } };
  return { ok: false, errors: [...check.Errors(data)].slice(0, 5).map((e) => `${e.path || '/'} ${e.message}`) };
}
