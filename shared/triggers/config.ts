import { topicName } from '../topics';

/** Configuration of the triggers subscriber, from the environment. */
export interface TriggersConfig {
  /** Where automation.workflow.started goes. */
  eventsTopic: string;
  /** Where start / resume requests for the Workflow Execution Engine go. */
  executionsTopic: string;
  /** How many workspaces keep a workflow listener per instance (least recently used are dropped). */
  maxWorkspaces: number;
}

export class TriggersConfigError extends Error {
  override readonly name = 'TriggersConfigError';
}

export function triggersConfig(env: NodeJS.ProcessEnv = process.env): TriggersConfig {
  const raw = env.TRIGGERS_MAX_WORKSPACES;
  const maxWorkspaces = raw ? Number(raw) : 1000;
  if (!Number.isInteger(maxWorkspaces) || maxWorkspaces < 1) {
    throw new TriggersConfigError(`TRIGGERS_MAX_WORKSPACES must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return {
    eventsTopic: topicName('events', env),
    executionsTopic: topicName('executions', env),
    maxWorkspaces,
  };
}
