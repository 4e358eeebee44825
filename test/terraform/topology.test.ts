/**
 * topology.json is read by Terraform (for_each) and by the local stack; a
 * dangling reference there breaks a deploy or silently drops a subscriber.
 */
import { DEFAULT_BLOCK_SECRETS_DATABASE } from '../../shared/contracts/blocks';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseTopology, topology, topologyProblems } from '../../shared/contracts/topology';

const topics = new Set(Object.keys(topology.topics));
const functions = new Set(Object.keys(topology.functions));
const subscriptions = Object.entries(topology.subscriptions);

describe('topology.json is internally consistent', () => {
  test.each(subscriptions)('subscription %s reads a declared topic', (_name, sub) => {
    expect(topics).toContain(sub.topic);
  });

  test.each(subscriptions.filter(([, s]) => s.dead_letter))(
    'subscription %s dead-letters to a declared topic, not its own',
    (_name, sub) => {
      expect(topics).toContain(sub.dead_letter!.topic);
      expect(sub.dead_letter!.topic).not.toBe(sub.topic);
    },
  );

  test.each(subscriptions)('subscription %s is either push or pull', (_name, sub) => {
    expect(Boolean(sub.push_to)).not.toBe(Boolean(sub.pull));
  });

  test.each(subscriptions.filter(([, s]) => s.push_to))(
    'push subscription %s targets a Pub/Sub-triggered or private HTTP function and has retry and dead-letter policies',
    (_name, sub) => {
      expect(functions).toContain(sub.push_to);
      // A private HTTP function may take a push on a route of its own (the events-api runs replay jobs so); never a public one.
      const target = topology.functions[sub.push_to!]!;
      expect(target.trigger === 'pubsub' || !target.public).toBe(true);
      expect(sub.retry_policy.minimum_backoff).toMatch(/^\d+s$/);
      expect(sub.retry_policy.maximum_backoff).toMatch(/^\d+s$/);
      // Pub/Sub accepts 5..100 delivery attempts.
      expect(sub.dead_letter?.max_delivery_attempts).toBeGreaterThanOrEqual(5);
      expect(sub.dead_letter?.max_delivery_attempts).toBeLessThanOrEqual(100);
    },
  );

  test.each(Object.entries(topology.functions))('function %s publishes only to declared topics', (_name, fn) => {
    for (const topic of fn.publishes) expect(topics).toContain(topic);
  });

  test.each(Object.entries(topology.functions).filter(([, f]) => f.trigger === 'pubsub'))(
    'Pub/Sub-triggered function %s has at least one subscription',
    (name) => {
      expect(subscriptions.filter(([, s]) => s.push_to === name).length).toBeGreaterThan(0);
    },
  );

  test.each(Object.entries(topology.functions))('function %s: env topic names are declared topics', (_name, fn) => {
    for (const [key, value] of Object.entries(fn.env)) {
      if (key.endsWith('_TOPIC')) expect(topics).toContain(value);
    }
  });

  test('every dead-letter topic has a subscriber, so dead letters are recorded or parked', () => {
    const deadLetterTopics = new Set(subscriptions.flatMap(([, s]) => (s.dead_letter ? [s.dead_letter.topic] : [])));
    for (const topic of deadLetterTopics) {
      expect(subscriptions.some(([, s]) => s.topic === topic)).toBe(true);
    }
  });

  test("the Block secrets database is the code's default, and only functions that also use Firestore are granted it", () => {
    // A function granted the secrets needs the registry too (it finds the Block there first).
    expect(topology.firestore.block_secrets_database).toBe(DEFAULT_BLOCK_SECRETS_DATABASE);
    expect(topology.firestore.block_secrets_database).not.toBe('(default)');
    for (const fn of Object.values(topology.functions)) if (fn.firestore.block_secrets) expect(fn.firestore.default).toBeDefined();
  });

  test('only HTTP functions are public', () => {
    for (const fn of Object.values(topology.functions)) if (fn.public) expect(fn.trigger).toBe('http');
  });

  test.each(
    topology.firestore.composite_indexes.map((i) => [`${i.collection_group}(${i.fields.map((f) => f.field_path).join(', ')})`, i] as const),
  )('composite index %s: each field is ordered or array CONTAINS, and at most one is an array', (_name, index) => {
    // Firestore takes exactly one of order / array_config per field, and one array-contains per query.
    for (const field of index.fields) {
      expect([field.order !== undefined, field.array_config !== undefined].filter(Boolean)).toHaveLength(1);
      if (field.order !== undefined) expect(['ASCENDING', 'DESCENDING']).toContain(field.order);
      else expect(field.array_config).toBe('CONTAINS');
    }
    expect(index.fields.filter((f) => f.array_config !== undefined).length).toBeLessThanOrEqual(1);
  });

  test("every function writing records that expire with the event log reads its retention from the topology, so Terraform's event_log_retention_days reaches it", () => {
    // event-log: entries and raw bodies; events-api: replay jobs and idempotency records;
    // contacts and triggers: contact_outbox, trigger_runs, and the provisional entries their outcome reports create.
    const retention = Object.fromEntries(
      ['event-log', 'events-api', 'contacts', 'triggers'].map((name) => [name, topology.functions[name]?.env.EVENT_LOG_RETENTION_DAYS]),
    );
    expect(new Set(Object.values(retention))).toEqual(new Set([topology.functions['event-log']!.env.EVENT_LOG_RETENTION_DAYS]));
    expect(retention['event-log']).toMatch(/^[1-9]\d*$/);
  });

  test('the event log has its TTL field and an index per offered filter', () => {
    expect(topology.firestore.ttl_fields).toContainEqual({ collection_group: 'event_log', field: 'expire_at' });
    const eventLog = topology.firestore.composite_indexes.filter((i) => i.collection_group === 'event_log');
    expect(eventLog.length).toBeGreaterThan(0);
    for (const index of eventLog) {
      expect(index.fields.at(-1)).toEqual({ field_path: 'timestamp', order: 'DESCENDING' });
    }
  });
});

describe('topology.json is checked against its schema when loaded', () => {
  const copy = (): unknown => JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'topology.json'), 'utf8'));
  /** A fresh copy of topology.json with the value at `at` (object keys and array indexes) set to `value`. */
  const copyWith = (at: Array<string | number>, value: unknown): unknown => {
    const json = copy();
    let parent = json as Record<string | number, unknown>;
    for (const key of at.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    parent[at[at.length - 1]!] = value;
    return json;
  };

  test('the repository topology has no problems', () => {
    expect(topologyProblems(copy())).toEqual([]);
  });

  test.each<[string, unknown, string]>([
    ['a misspelt function setting', copyWith(['functions', 'normalizer', 'max_instance'], 5), '/functions/normalizer/max_instance'],
    [
      'an access level Terraform cannot grant',
      copyWith(['functions', 'normalizer', 'firestore', 'default'], 'write'),
      '/functions/normalizer/firestore/default',
    ],
    [
      'a database key that is not a database',
      copyWith(['functions', 'normalizer', 'firestore', 'secrets'], 'read'),
      '/functions/normalizer/firestore/secrets',
    ],
    [
      'a retry backoff without its unit',
      copyWith(['subscriptions', 'normalizer', 'retry_policy', 'minimum_backoff'], '5'),
      '/subscriptions/normalizer/retry_policy/minimum_backoff',
    ],
    [
      'an index field with both an order and array_config',
      copyWith(['firestore', 'composite_indexes', 0, 'fields', 0, 'array_config'], 'CONTAINS'),
      '/firestore/composite_indexes/0/fields/0',
    ],
  ])('%s is refused, naming its path', (_what, bad, at) => {
    expect(topologyProblems(bad).join('\n')).toContain(at);
    expect(() => parseTopology(bad)).toThrow(at);
  });
});
