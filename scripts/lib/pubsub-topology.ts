/**
 * Builds topology.json's topics and subscriptions on a Pub/Sub emulator, the
 * way Terraform builds them in production, with push endpoints pointing at the
 * local functions-framework processes.
 *
 * What the gcloud Pub/Sub emulator (0.8.x) does with the subscription settings,
 * found by experiment (see /tmp/readme/local.md, "Pub/Sub emulator"):
 *   - ack deadline, retry policy and dead-letter policy are accepted and stored;
 *   - a nacked push is redelivered after a few seconds (its own backoff: about
 *     1 s, then 3 s, whatever the retry policy says) and after
 *     max_delivery_attempts it is published to the dead-letter topic with the
 *     CloudPubSubDeadLetterSource* attributes, as in production;
 *   - push bodies carry no `deliveryAttempt`, so locally every attempt looks
 *     like attempt 1 to the consumers;
 *   - subscription filters are accepted (we set none: topology.json has none).
 *
 * Idempotent: existing topics are kept, existing subscriptions get their push
 * endpoint updated in place (so a backlog is never dropped). With `owns`
 * (npm start --only), an existing subscription is repointed only when its
 * function is one this run owns: another stack's subscriptions keep pushing
 * to that stack's functions.
 */
import type { PubSub, CreateSubscriptionOptions } from '@google-cloud/pubsub';
import type { SubscriptionSpec, Topology } from '../../shared/contracts/topology';

/** "5s", "600s", "1.5s" (the Terraform / REST duration form) → protobuf Duration. */
export function parseDuration(value: string): { seconds: number; nanos: number } {
  const match = /^(\d+)(?:\.(\d{1,9}))?s$/.exec(value);
  if (!match) throw new Error(`invalid duration ${JSON.stringify(value)} in topology.json (expected e.g. "5s")`);
  return { seconds: Number(match[1]), nanos: Number((match[2] ?? '').padEnd(9, '0')) };
}

/** The push path carries /projects/P/topics/T so the functions-framework could build a CloudEvent from it. */
export function pushEndpoint(functionBaseUrl: string, projectId: string, topic: string): string {
  return `${functionBaseUrl.replace(/\/$/, '')}/projects/${projectId}/topics/${topic}`;
}

const ALREADY_EXISTS = 6;
const isAlreadyExists = (err: unknown) => (err as { code?: number }).code === ALREADY_EXISTS;

export interface TopologyResult {
  topics: string[];
  /** Subscription name → push endpoint, or 'pull'. */
  subscriptions: Record<string, string>;
  /** Push subscriptions whose function is not running (not started or missing); they keep their messages. */
  withoutEndpoint: string[];
  /** Existing subscriptions of functions this run does not own (`owns`), left exactly as they were. */
  untouched: string[];
}

export interface ApplyOptions {
  /** Which functions this run owns (default: all); only their existing subscriptions are repointed. */
  owns?: (functionName: string) => boolean;
}

function subscriptionOptions(projectId: string, spec: SubscriptionSpec, endpoint: string | undefined): CreateSubscriptionOptions {
  const options: CreateSubscriptionOptions = {
    ackDeadlineSeconds: spec.ack_deadline_seconds,
    retryPolicy: {
      minimumBackoff: parseDuration(spec.retry_policy.minimum_backoff),
      maximumBackoff: parseDuration(spec.retry_policy.maximum_backoff),
    },
  };
  if (endpoint) options.pushConfig = { pushEndpoint: endpoint };
  if (spec.message_retention_duration) options.messageRetentionDuration = parseDuration(spec.message_retention_duration);
  if (spec.dead_letter) {
    options.deadLetterPolicy = {
      deadLetterTopic: `projects/${projectId}/topics/${spec.dead_letter.topic}`,
      maxDeliveryAttempts: spec.dead_letter.max_delivery_attempts,
    };
  }
  return options;
}

/**
 * Creates every topic and subscription of `topology`. `functionUrl(name)` is
 * the base URL of a running function, or undefined when it is not running: its
 * push subscriptions are then created without an endpoint (pull), so messages
 * wait for it instead of being pushed to a closed port until they dead-letter.
 */
export async function applyTopology(
  pubsub: PubSub,
  projectId: string,
  topology: Topology,
  functionUrl: (name: string) => string | undefined,
  options: ApplyOptions = {},
): Promise<TopologyResult> {
  const owns = options.owns ?? (() => true);
  const result: TopologyResult = { topics: [], subscriptions: {}, withoutEndpoint: [], untouched: [] };
  for (const name of Object.keys(topology.topics)) {
    try {
      await pubsub.createTopic(name);
    } catch (err) {
      if (!isAlreadyExists(err))
        throw new Error(`could not create topic ${name} on the emulator: ${(err as Error).message}`, { cause: err });
    }
    result.topics.push(name);
  }
  for (const [name, spec] of Object.entries(topology.subscriptions)) {
    const base = spec.push_to ? functionUrl(spec.push_to) : undefined;
    const endpoint = base ? pushEndpoint(base, projectId, spec.topic) : undefined;
    try {
      await pubsub.topic(spec.topic).createSubscription(name, subscriptionOptions(projectId, spec, endpoint));
    } catch (err) {
      if (!isAlreadyExists(err))
        throw new Error(`could not create subscription ${name} on the emulator: ${(err as Error).message}`, { cause: err });
      if (spec.push_to && !owns(spec.push_to)) {
        // Another run's function (npm start --only X beside a full stack): clearing its endpoint would stop it silently.
        result.untouched.push(name);
        continue;
      }
      // A previous run made it, possibly with other ports: repoint it, keep its backlog.
      await pubsub.subscription(name).modifyPushConfig(endpoint ? { pushEndpoint: endpoint } : {});
    }
    if (spec.push_to && !endpoint) result.withoutEndpoint.push(name);
    result.subscriptions[name] = endpoint ?? 'pull';
  }
  return result;
}
