/**
 * The causation stamps a derived event inherits from the event that caused it.
 * contacts is no workflow, so it adds nothing to the chain, but it must hand
 * the chain on: a workflow's outbound message that updates a contact would
 * otherwise become a crm.contact.* event with no chain, and a workflow
 * triggered by it would start a fresh chain, escaping both loop rules of the
 * triggers subscriber (shared/triggers/loops.ts), TRIGGERS_MAX_CHAIN_DEPTH included.
 */
import type { EnvelopeMetadata } from '../envelope';

/** Every field the triggers subscriber reads a causation chain from (loops.ts `causedBy`). */
const CAUSATION_FIELDS = ['caused_by_workflow_ids', 'caused_by_workflow_id', 'caused_by_execution_id'] as const;

export type Causation = Pick<EnvelopeMetadata, (typeof CAUSATION_FIELDS)[number]>;

/** The source event's causation stamps, only those it has. */
export function causationOf(metadata: EnvelopeMetadata): Causation {
  return Object.fromEntries(CAUSATION_FIELDS.filter((f) => metadata[f] !== undefined).map((f) => [f, metadata[f]])) as Causation;
}
