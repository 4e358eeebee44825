/**
 * What a committed run sends out: start / resume requests on
 * `workflow-executions` and automation.workflow.started on `events`. Every
 * message is a pure function of the run and the event, so a re-publish after
 * a crash is identical and downstream dedupes it (request_id, event id).
 */
import type { Topic } from '@google-cloud/pubsub';
import { eventId, type Envelope, type EnvelopeOf } from '../envelope';
import type { EnvelopePublisher } from '../envelope/publish';
import type { ExecutionRequest } from '../workflows/execution';
import { carried } from '../runtime/trace';
import { threadOf, type PlannedResume, type PlannedStart, type TriggerRun } from './store';

/** The chain a start carries; a run recorded before chains knows only the workflow itself. */
export function chainOf(s: PlannedStart): string[] {
  return s.caused_by_workflow_ids ?? [s.workflow_id];
}

export function startRequest(envelope: Envelope, s: PlannedStart): ExecutionRequest {
  return {
    kind: 'start',
    request_id: s.execution_id,
    execution_id: s.execution_id,
    workflow_id: s.workflow_id,
    workspace_id: envelope.workspace_id,
    trigger_id: s.trigger_id,
    trigger_event: envelope,
    ...threadOf(envelope),
    caused_by_workflow_ids: chainOf(s),
  };
}

export function resumeRequest(envelope: Envelope, r: PlannedResume): ExecutionRequest {
  return {
    kind: 'resume',
    request_id: r.resume_id,
    execution_id: r.execution_id,
    workflow_id: r.workflow_id,
    workspace_id: envelope.workspace_id,
    step_id: r.step_id,
    trigger_event: envelope,
    ...threadOf(envelope),
  };
}

export function workflowStarted(envelope: Envelope, s: PlannedStart): EnvelopeOf<'automation.workflow.started'> {
  const { contact_id, conversation_id } = threadOf(envelope);
  return {
    id: eventId({ platform: envelope.platform, blockId: envelope.block_id, type: 'automation.workflow.started', rawId: s.execution_id }),
    type: 'automation.workflow.started',
    workspace_id: envelope.workspace_id,
    block_id: envelope.block_id,
    platform: envelope.platform,
    timestamp: envelope.timestamp,
    data: {
      workflow_id: s.workflow_id,
      execution_id: s.execution_id,
      trigger_event_id: envelope.id,
      ...(contact_id ? { contact_id } : {}),
      ...(conversation_id ? { conversation_id } : {}),
    },
    metadata: {
      raw_platform_event_id: s.execution_id,
      source: 'derived',
      caused_by_event_id: envelope.id,
      caused_by_workflow_id: s.workflow_id,
      caused_by_workflow_ids: chainOf(s),
      caused_by_execution_id: s.execution_id,
    },
  };
}

export async function publishRun(
  envelope: Envelope,
  run: TriggerRun,
  out: { executions: Topic; events: EnvelopePublisher },
): Promise<void> {
  const request = (r: ExecutionRequest) =>
    out.executions.publishMessage({
      data: Buffer.from(JSON.stringify(r)),
      attributes: carried({ kind: r.kind, workspace_id: r.workspace_id, execution_id: r.execution_id, request_id: r.request_id }),
    });
  await Promise.all([
    ...run.starts.map((s) => request(startRequest(envelope, s))),
    ...run.resumes.map((r) => request(resumeRequest(envelope, r))),
    ...run.starts.map((s) => out.events.publish(workflowStarted(envelope, s))),
  ]);
}
