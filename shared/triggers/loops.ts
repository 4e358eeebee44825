/**
 * Loop prevention. An event a workflow execution caused carries its causation
 * chain: the workflows whose executions led to it, oldest first, the direct
 * cause last (`metadata.caused_by_workflow_ids`; the engine copies it from the
 * start request, we stamp it on automation.workflow.started). Two rules:
 *
 *   - a workflow in the chain never starts for the event, so a workflow never
 *     re-triggers itself and A -> B -> A stops at the second A;
 *   - an event whose chain already holds `maxDepth` workflows starts nothing,
 *     so a cascade of ever different workflows cannot grow without bound.
 *
 *   inbound "hi"     chain []        -> starts A, which runs with chain [A]
 *   A's message      chain [A]       -> starts B, which runs with chain [A, B]
 *   B's message      chain [A, B]    -> A matches but is in the chain: nothing starts
 *
 * Events from before chains still count: `caused_by_workflow_id`, the
 * workflow an automation.* event is about (`data.workflow_id`), and an event
 * naming only `caused_by_execution_id` (the handler reads that execution's
 * chain, or its workflow).
 *
 * A refusal is a value with a reason, which the handler logs and reports to
 * the event's log entry (refusalNote): a loop is never cut silently.
 */
import type { Envelope } from '../envelope';
import type { Logger } from '../runtime/log';
import type { WorkspaceIndex } from './compile';
import { matchEvent, type Start } from './match';

export interface Cause {
  /** Workflows that led to the event, oldest first, the direct cause last. */
  chain: string[];
  /** Set when the event names only an execution: its chain must be looked up. */
  executionId?: string;
}

export function causedBy(envelope: Envelope): Cause {
  const meta = envelope.metadata;
  const chain = [...(meta.caused_by_workflow_ids ?? [])];
  // Older or partial stamps name the direct cause only; it belongs at the end.
  const add = (id: unknown) => {
    if (typeof id === 'string' && id !== '' && !chain.includes(id)) chain.push(id);
  };
  add(meta.caused_by_workflow_id);
  if (envelope.type.startsWith('automation.')) add((envelope.data as { workflow_id?: unknown }).workflow_id);
  return {
    chain,
    // Only worth a lookup when the event names the execution but no workflow.
    ...(chain.length === 0 && typeof meta.caused_by_execution_id === 'string' ? { executionId: meta.caused_by_execution_id } : {}),
  };
}

/** The chain an execution of `workflowId`, started by an event with `chain`, stamps on the events it causes. */
export function chainAfter(chain: readonly string[], workflowId: string): string[] {
  return [...chain, workflowId];
}

export type LoopRefusal =
  /** These workflows matched but already ran in the event's causation chain. */
  | { reason: 'in_causation_chain'; workflow_ids: string[]; chain: string[] }
  /** These workflows matched but the chain is as deep as allowed. */
  | { reason: 'max_chain_depth'; workflow_ids: string[]; chain: string[]; depth: number; max_depth: number };

export interface GuardedMatch {
  starts: Start[];
  refused: LoopRefusal[];
}

/** matchEvent with both loop rules applied: what starts, and what was refused and why. */
export function guardedMatch(index: WorkspaceIndex, envelope: Envelope, chain: string[], maxDepth: number): GuardedMatch {
  const inChain = new Set<string>();
  const starts = matchEvent(index, envelope, { exclude: new Set(chain), onExcluded: (s) => inChain.add(s.workflow_id) });
  const refused: LoopRefusal[] = inChain.size > 0 ? [{ reason: 'in_causation_chain', workflow_ids: [...inChain], chain }] : [];
  if (starts.length > 0 && chain.length >= maxDepth) {
    refused.push({
      reason: 'max_chain_depth',
      workflow_ids: starts.map((s) => s.workflow_id),
      chain,
      depth: chain.length,
      max_depth: maxDepth,
    });
    return { starts: [], refused };
  }
  return { starts, refused };
}

const REFUSAL_MESSAGE: Record<LoopRefusal['reason'], string> = {
  in_causation_chain: "workflow not started: it is already in the event's causation chain (loop)",
  max_chain_depth: "workflows not started: the event's causation chain is at TRIGGERS_MAX_CHAIN_DEPTH",
};

/** The refusal as the event log shows it: the triggers consumer's `notes` on the event's entry. */
export function refusalNote(refusal: LoopRefusal): LoopRefusal & { message: string } {
  return { ...refusal, message: REFUSAL_MESSAGE[refusal.reason] };
}

/** One structured line per refusal; the logger carries the event id. A depth cut is a WARNING: a cascade ran away. */
export function logRefusal(log: Logger, refusal: LoopRefusal): void {
  const fields = { outcome: 'loop_prevented', ...refusal };
  if (refusal.reason === 'max_chain_depth') log.warn(REFUSAL_MESSAGE[refusal.reason], fields);
  else log.info(REFUSAL_MESSAGE[refusal.reason], fields);
}
