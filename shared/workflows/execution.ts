/**
 * Workflow executions as the triggers subscriber creates and resumes them,
 * and the messages it sends the Workflow Execution Engine on the
 * `workflow-executions` topic. The engine owns an execution after `start`;
 * this subscriber only creates it, and claims waiting ones for a resume.
 *
 *   workspaces/{ws}/executions/{execution_id}
 */
import { Type, type Static } from '@sinclair/typebox';
import { CausationChain } from '../envelope/envelope';

export const ExecutionStatus = Type.Union([
  Type.Literal('starting'),
  Type.Literal('running'),
  Type.Literal('waiting'),
  Type.Literal('resuming'),
  Type.Literal('completed'),
  Type.Literal('failed'),
  Type.Literal('cancelled'),
]);

export const WaitingFor = Type.Object({
  kind: Type.Union([Type.Literal('reply'), Type.Literal('time'), Type.Literal('event')]),
  /**
   * For `reply`: the contact whose reply resumes the execution. Required for a
   * reply wait: the triggers subscriber finds waiting executions by this field
   * alone, because the execution's own `contact_id` is its trigger event's
   * contact (none for an order or a deal, someone else in a group).
   */
  contact_id: Type.Optional(Type.String()),
  conversation_id: Type.Optional(Type.String()),
  step_id: Type.String(),
  /** true: the reply resumes this execution instead of starting keyword / fallback workflows. */
  intercept: Type.Boolean(),
});

export const ExecutionDoc = Type.Object({
  execution_id: Type.String(),
  workflow_id: Type.String(),
  workspace_id: Type.String(),
  status: ExecutionStatus,
  trigger_id: Type.String(),
  trigger_event_id: Type.String(),
  trigger_event_type: Type.String(),
  contact_id: Type.Union([Type.String(), Type.Null()]),
  conversation_id: Type.Union([Type.String(), Type.Null()]),
  /**
   * The causation chain this execution stamps on the events it causes: its
   * trigger event's chain plus this workflow. Read back for events that name
   * only `caused_by_execution_id`. Absent on executions created before chains.
   */
  caused_by_workflow_ids: Type.Optional(CausationChain),
  /** Set once the start request and automation.workflow.started were published. */
  start_published: Type.Boolean(),
  waiting_for: Type.Optional(WaitingFor),
  /** The reply that claimed a waiting execution, and its resume request id. */
  resumed_by_event_id: Type.Optional(Type.String()),
  resume_id: Type.Optional(Type.String()),
  created_at: Type.String(),
  updated_at: Type.String(),
});

export type ExecutionStatus = Static<typeof ExecutionStatus>;
export type WaitingFor = Static<typeof WaitingFor>;
export type ExecutionDoc = Static<typeof ExecutionDoc>;

/**
 * A message on `workflow-executions` (JSON; attributes: kind, workspace_id,
 * execution_id, request_id). Delivery is at least once: the engine dedupes on
 * `request_id` (the execution id for a start, the resume id for a resume).
 */
const requestBase = {
  request_id: Type.String(),
  execution_id: Type.String(),
  workflow_id: Type.String(),
  workspace_id: Type.String(),
  /** The envelope that started the execution or is the awaited reply. */
  trigger_event: Type.Unknown(),
  contact_id: Type.Union([Type.String(), Type.Null()]),
  conversation_id: Type.Union([Type.String(), Type.Null()]),
};

export const ExecutionRequest = Type.Union([
  Type.Object({
    kind: Type.Literal('start'),
    ...requestBase,
    trigger_id: Type.String(),
    /**
     * The engine copies this, unchanged, into `metadata.caused_by_workflow_ids`
     * of every event the execution causes (with `caused_by_workflow_id` and
     * `caused_by_execution_id`), for the execution's whole life: that is how
     * the triggers subscriber sees a loop across workflows.
     */
    caused_by_workflow_ids: CausationChain,
  }),
  Type.Object({ kind: Type.Literal('resume'), ...requestBase, step_id: Type.String() }),
]);
export type ExecutionRequest = Static<typeof ExecutionRequest>;
