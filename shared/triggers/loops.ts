/**
 * Loop prevention: the workflows an event must not start because they caused
 * it. An execution's own effects (automation.* about it, messages it sent,
 * anything stamped metadata.caused_by_workflow_id) would otherwise re-trigger
 * the workflow that produced them, forever.
 */
import type { Envelope } from '../envelope';

export function causedBy(envelope: Envelope): { workflowIds: string[]; executionId?: string } {
  const ids = new Set<string>();
  const meta = envelope.metadata;
  if (typeof meta.caused_by_workflow_id === 'string') ids.add(meta.caused_by_workflow_id);
  if (envelope.type.startsWith('automation.')) {
    const data = envelope.data as { workflow_id?: string };
    if (data.workflow_id) ids.add(data.workflow_id);
  }
  return {
    workflowIds: [...ids],
    // Only worth a lookup when the event names the execution but not its workflow.
    ...(ids.size === 0 && typeof meta.caused_by_execution_id === 'string' ? { executionId: meta.caused_by_execution_id } : {}),
  };
}
