/**
 * The topics the code publishes to: for each, the environment variable that
 * names it and the default, which is its name in topology.json. Every function
 * reads topic names through here, so a default is written once.
 */
export const TOPIC_SETTINGS = {
  raw: { variable: 'RAW_TOPIC', default: 'webhook-raw' },
  events: { variable: 'EVENTS_TOPIC', default: 'events' },
  rejected: { variable: 'REJECTED_TOPIC', default: 'webhook-rejected' },
  executions: { variable: 'EXECUTIONS_TOPIC', default: 'workflow-executions' },
  replayJobs: { variable: 'REPLAY_JOBS_TOPIC', default: 'replay-jobs' },
} as const;

export type TopicRole = keyof typeof TOPIC_SETTINGS;

/** The topic for `role`: its variable when set (trimmed, non-empty), else the default. */
export function topicName(role: TopicRole, env: Record<string, string | undefined> = process.env): string {
  const { variable, default: fallback } = TOPIC_SETTINGS[role];
  return env[variable]?.trim() || fallback;
}
