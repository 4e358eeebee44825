import { topicName } from '../topics';
import { envNumber, type Env } from '../env';

/** Configuration of the triggers subscriber, from the environment. */
export interface TriggersConfig {
  /** Where automation.workflow.started goes. */
  eventsTopic: string;
  /** Where start / resume requests for the Workflow Execution Engine go. */
  executionsTopic: string;
  /** How many workspaces keep a workflow listener per instance (least recently used are dropped). */
  maxWorkspaces: number;
}


export function triggersConfig(env: Env = process.env): TriggersConfig {
  const maxWorkspaces = envNumber(env, 'TRIGGERS_MAX_WORKSPACES', 1000, { integer: true, min: 1 });
  return {
    eventsTopic: topicName('events', env),
    executionsTopic: topicName('executions', env),
    maxWorkspaces,
  };
}
