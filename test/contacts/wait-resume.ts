/**
 * What the Wait-for-Reply-across-ids tests share: envelopes the real
 * normalizer makes for one Block, an execution seeded as waiting for a
 * contact's reply, and the contacts and triggers functions served on the
 * emulators with a tap on the workflow-executions topic. The test file sets
 * EVENTS_TOPIC / EXECUTIONS_TOPIC and loads the two functions first.
 */
import { contactId, conversationId, executionId, type Envelope } from '../../shared/envelope';
import type { ExecutionDoc, ExecutionRequest } from '../../shared/workflows/execution';
import { serve, tapTopic, workspaceDoc, type Served, type TopicTap } from './harness';

export interface WaitingSeed {
  blockId: string;
  workflowId: string;
  stepId: string;
  triggerType: string;
  at: string;
}

/** An execution waiting for a reply of the contact (and its 1:1 conversation) `user` keys; its id. */
export async function seedWaiting(ws: string, user: string, seed: WaitingSeed): Promise<string> {
  const id = executionId(ws, seed.workflowId, `evt_start_${user}`);
  const contact = contactId(ws, seed.blockId, user);
  const conversation = conversationId(ws, seed.blockId, user);
  const doc: ExecutionDoc = {
    execution_id: id,
    workflow_id: seed.workflowId,
    workspace_id: ws,
    status: 'waiting',
    trigger_id: 't',
    trigger_event_id: `evt_start_${user}`,
    trigger_event_type: seed.triggerType,
    contact_id: contact,
    conversation_id: conversation,
    start_published: true,
    waiting_for: { kind: 'reply', contact_id: contact, conversation_id: conversation, step_id: seed.stepId, intercept: true },
    created_at: seed.at,
    updated_at: seed.at,
  };
  await workspaceDoc(ws).collection('executions').doc(id).set(doc);
  return id;
}

export interface ResumeStack {
  contacts: Served;
  triggers: Served;
  /** The resume requests published for the workspace since the last call. */
  resumesIn(ws: string): Promise<ExecutionRequest[]>;
}

/** Serves contacts and triggers for the file's tests (beforeAll/afterAll); `closeTriggers` ends the triggers module's own service. */
export function resumeStack(topics: { events: string; executions: string }, closeTriggers: () => void): ResumeStack {
  let requests: TopicTap<ExecutionRequest>;
  const stack = {} as ResumeStack;
  beforeAll(async () => {
    [requests] = await Promise.all([tapTopic<ExecutionRequest>(topics.executions), tapTopic<Envelope>(topics.events)]);
    [stack.contacts, stack.triggers] = await Promise.all([serve('contacts'), serve('triggers')]);
  });
  afterAll(async () => {
    await Promise.all([stack.contacts?.close(), stack.triggers?.close()]);
    closeTriggers();
  });
  stack.resumesIn = async (ws) => (await requests.drain()).map((m) => m.data).filter((r) => r.workspace_id === ws && r.kind === 'resume');
  return stack;
}
