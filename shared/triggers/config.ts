import { topicName } from '../contracts/topics';
import { envNumber, type Env } from '../runtime/env';
import { retentionDays } from '../event-log/config';
import { MAX_CAUSATION_CHAIN } from '../envelope/envelope';

/** Configuration of the triggers subscriber, from the environment. */
export interface TriggersConfig {
  /** Where automation.workflow.started goes. */
  eventsTopic: string;
  /** Where start / resume requests for the Workflow Execution Engine go. */
  executionsTopic: string;
  /** How many workspaces keep a workflow listener per instance (least recently used are dropped). */
  maxWorkspaces: number;
  /**
   * How many workflow executions one causation chain may hold: an event whose
   * chain already names this many workflows starts nothing (see loops.ts).
   */
  maxChainDepth: number;
  /** Days a trigger run is kept (EVENT_LOG_RETENTION_DAYS): it expires with the log entry of its event. */
  retentionDays: number;
}

/** Deep enough for real cascades (order -> tag -> notify -> ...), short enough to stop a runaway one fast. */
export const DEFAULT_MAX_CHAIN_DEPTH = 8;

export function triggersConfig(env: Env = process.env): TriggersConfig {
  const maxWorkspaces = envNumber(env, 'TRIGGERS_MAX_WORKSPACES', 1000, { integer: true, min: 1 });
  // The schema bounds a chain's length, so a deeper limit could never be reached.
  const maxChainDepth = envNumber(env, 'TRIGGERS_MAX_CHAIN_DEPTH', DEFAULT_MAX_CHAIN_DEPTH, {
    integer: true,
    min: 1,
    max: MAX_CAUSATION_CHAIN,
  });
  return {
    eventsTopic: topicName('events', env),
    executionsTopic: topicName('executions', env),
    maxWorkspaces,
    maxChainDepth,
    retentionDays: retentionDays(env),
  };
}
