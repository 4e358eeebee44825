/**
 * The Terraform in terraform/ cannot be planned here (the google provider is not
 * downloadable), so it is held against topology.json in two ways:
 *  - statically: the parsed HCL must build every function, subscription, index
 *    and IAM binding by for_each over the topology locals, with the settings
 *    taken from the topology entry;
 *  - by evaluation: `terraform console` computes those locals from the real
 *    topology.json, and the result must equal what the code needs, computed
 *    here in TypeScript from the same file.
 */
import { spawnSync } from 'node:child_process';
import { REASONS } from '../../shared/edge/reasons';
import { type FirestoreAccess, type FirestoreDatabaseKey, topology } from '../../shared/contracts/topology';
import { type Block, type TfConfig, TF_DIR, evaluate, hasTerraform, loadConfig, only, plan, strings } from './hcl';

const TERRAFORM = hasTerraform();

/** A describe block that needs the terraform binary: without it, it fails and says what to install. */
function describeWithTerraform(name: string, body: () => void): void {
  describe(name, () => {
    beforeAll(() => {
      if (!TERRAFORM) throw new Error('the terraform binary is not on PATH: install Terraform >= 1.4 (docs/contributing.md#testing)');
    });
    body();
  });
}

const fns = Object.entries(topology.functions);
const subs = Object.entries(topology.subscriptions);
const VARS = { project_id: 'convotic-prod-1', region: 'europe-west1', alert_email: 'ops@example.com' };

let tf: TfConfig;
beforeAll(async () => {
  tf = await loadConfig();
});

function resource(type: string, name: string): Block {
  const block = tf.resources[type]?.[name];
  if (!block) throw new Error(`resource ${type}.${name} is not declared`);
  return block;
}

const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

const FIRESTORE_ROLE: Record<FirestoreAccess, string> = { read: 'roles/datastore.viewer', read_write: 'roles/datastore.user' };
const FIRESTORE_DB: Record<FirestoreDatabaseKey, string> = {
  default: '(default)',
  block_secrets: topology.firestore.block_secrets_database,
};

/** What each function's service account must hold, derived from topology.json alone. */
function expectedGrants(): Record<string, string[]> {
  return Object.fromEntries(
    fns.map(([name, fn]) => [
      name,
      sorted([
        ...fn.publishes.map((topic) => `roles/pubsub.publisher on topic ${topic}`),
        ...Object.entries(fn.firestore).map(
          ([db, access]) => `${FIRESTORE_ROLE[access]} on database ${FIRESTORE_DB[db as FirestoreDatabaseKey]}`,
        ),
        ...fn.secrets.map((secret) => `roles/secretmanager.secretAccessor on secret ${secret}`),
      ]),
    ]),
  );
}

describeWithTerraform('terraform fmt', () => {
  test('terraform fmt -check -recursive terraform is clean', () => {
    const run = spawnSync('terraform', ['fmt', '-check', '-recursive', '-diff', TF_DIR], { encoding: 'utf8' });
    expect(run.stdout).toBe('');
    expect(run.status).toBe(0);
  });
});

describe('terraform reads topology.json instead of repeating it', () => {
  test('local.topology is jsondecode(file()) of the repository-root topology.json, read once', () => {
    expect(tf.locals.topology).toBe('${jsondecode(file("${path.module}/../topology.json"))}');
    const decodes = Object.values(tf.files).flatMap((json) => strings(json).filter((s) => s.value.includes('jsondecode(')));
    expect(decodes).toHaveLength(1);
  });

  test('the function and topic locals are the topology sections themselves', () => {
    expect(tf.locals.functions).toBe('${local.topology.functions}');
    expect(tf.locals.topics).toBe('${local.topology.topics}');
  });

  test('no topic, subscription, entry point or TTL field of the topology is written into the HCL', () => {
    const functionNames = new Set(Object.keys(topology.functions));
    // Function names are allowed: they double as log field values (component="normalizer").
    const content = new Set(
      [
        ...Object.keys(topology.topics),
        ...Object.keys(topology.subscriptions),
        ...fns.map(([, f]) => f.entry_point),
        ...topology.firestore.ttl_fields.map((t) => t.field),
      ].filter((name) => !functionNames.has(name)),
    );
    const offenders = Object.entries(tf.files).flatMap(([file, json]) =>
      strings(json)
        .filter((s) => [...content].some((c) => s.value === c || s.value.includes(`"${c}"`)))
        .map((s) => `${file}: ${s.at} = ${s.value}`),
    );
    expect(offenders).toEqual([]);
  });

  test('indexes, TTL fields, topics and subscriptions are declared once each, by for_each', () => {
    for (const type of ['google_firestore_index', 'google_firestore_field', 'google_pubsub_topic', 'google_cloudfunctions2_function']) {
      const blocks = Object.values(tf.resources[type] ?? {});
      expect([type, blocks.length]).toEqual([type, 1]);
      expect(blocks[0]!.for_each).toMatch(/^\$\{local\.\w+\}$/);
    }
    expect(Object.keys(tf.resources.google_pubsub_subscription ?? {}).sort()).toEqual(['pull', 'push']);
  });
});

describe('functions', () => {
  test('one gen2 function per topology function, with its settings from the topology entry', () => {
    const fn = resource('google_cloudfunctions2_function', 'fn');
    expect(fn.for_each).toBe('${local.functions}');
    expect(fn.name).toBe('${local.function_names[each.key]}');

    const build = only(fn, 'build_config');
    expect(build.entry_point).toBe('${each.value.entry_point}');
    expect(build.runtime).toBe('${local.runtime}');
    expect(only(only(build, 'source'), 'storage_source').object).toBe('${google_storage_bucket_object.function_source[each.key].name}');

    const service = only(fn, 'service_config');
    expect(service).toMatchObject({
      service_account_email: '${google_service_account.function[each.key].email}',
      available_memory: '${each.value.memory}',
      available_cpu: '${each.value.cpu}',
      max_instance_request_concurrency: '${each.value.concurrency}',
      timeout_seconds: '${each.value.timeout_seconds}',
      min_instance_count: '${local.function_min_instances[each.key]}',
      max_instance_count: '${local.function_max_instances[each.key]}',
      environment_variables: '${local.function_env[each.key]}',
      ingress_settings: '${local.ingress_settings[each.key]}',
    });
  });

  test("secrets are secret environment variables, only the function's own, pinned by var.secret_versions", () => {
    const service = only(resource('google_cloudfunctions2_function', 'fn'), 'service_config');
    const secretEnv = only(service.dynamic, 'secret_environment_variables');
    expect(secretEnv.for_each).toBe('${toset(each.value.secrets)}');
    expect(only(secretEnv, 'content')).toMatchObject({
      key: '${secret_environment_variables.value}',
      secret: '${google_secret_manager_secret.app[secret_environment_variables.value].secret_id}',
      version: '${var.secret_versions[secret_environment_variables.value]}',
    });
    // Secret values never pass through Terraform state.
    expect(tf.resources.google_secret_manager_secret_version).toBeUndefined();
    expect(resource('google_secret_manager_secret', 'app').for_each).toBe('${local.app_secrets}');
  });

  test("source is the build's dist/<function>.zip, uploaded under its content hash", () => {
    expect(tf.locals.function_archives).toContain('${path.module}/../dist/${name}.zip');
    const object = resource('google_storage_bucket_object', 'function_source');
    expect(object.for_each).toBe('${local.functions}');
    expect(object.source).toBe('${local.function_archives[each.key]}');
    expect(object.name).toContain('filesha256(local.function_archives[each.key])');
  });

  test('each function has its own service account', () => {
    const sa = resource('google_service_account', 'function');
    expect(sa.for_each).toBe('${local.functions}');
    expect(sa.account_id).toBe('${local.service_account_ids[each.key]}');
  });
});

describe('IAM', () => {
  /** Every IAM resource in the configuration, by address. */
  function iamResources(): Array<[string, Block]> {
    return Object.entries(tf.resources)
      .filter(([type]) => /_iam_(member|binding|policy)$/.test(type))
      .flatMap(([type, byName]) => Object.entries(byName).map(([name, b]) => [`${type}.${name}`, b] as [string, Block]));
  }

  test('IAM is additive (no authoritative bindings or policies that would clobber others)', () => {
    for (const [address] of iamResources()) expect(address).toMatch(/_iam_member\./);
  });

  test('function service accounts get exactly four kinds of grant, each built from the topology', () => {
    const grantsToFunctions = iamResources().filter(([, b]) => String(b.member).includes('google_service_account.function['));
    expect(sorted(grantsToFunctions.map(([a]) => a))).toEqual([
      'google_project_iam_member.function_firestore',
      'google_project_iam_member.function_trace_writer',
      'google_pubsub_topic_iam_member.function_publisher',
      'google_secret_manager_secret_iam_member.function_secret_accessor',
    ]);

    const publisher = resource('google_pubsub_topic_iam_member', 'function_publisher');
    expect(publisher).toMatchObject({
      for_each: '${local.publisher_bindings}',
      role: 'roles/pubsub.publisher',
      topic: '${google_pubsub_topic.topic[each.value.topic].name}',
      member: '${google_service_account.function[each.value.function].member}',
    });
    // Firestore roles are project roles: each grant is held to its one database by a condition.
    const firestore = resource('google_project_iam_member', 'function_firestore');
    expect(firestore).toMatchObject({
      for_each: '${local.firestore_grants}',
      role: '${each.value.role}',
      member: '${google_service_account.function[each.value.function].member}',
    });
    expect(only(firestore, 'condition').expression).toBe('resource.name == "projects/${var.project_id}/databases/${each.value.database}"');
    expect(resource('google_firestore_database', 'block_secrets').name).toBe('${local.block_secrets_database}');
    // Writing spans is the one grant every function gets alike, and only while tracing goes to Cloud Trace.
    expect(resource('google_project_iam_member', 'function_trace_writer')).toMatchObject({
      for_each: '${var.trace_exporter == "cloud-trace" ? local.functions : {}}',
      role: 'roles/telemetry.tracesWriter',
      member: '${google_service_account.function[each.key].member}',
    });
    const accessor = resource('google_secret_manager_secret_iam_member', 'function_secret_accessor');
    expect(accessor).toMatchObject({
      for_each: '${local.secret_bindings}',
      role: 'roles/secretmanager.secretAccessor',
      secret_id: '${google_secret_manager_secret.app[each.value.secret].id}',
      member: '${google_service_account.function[each.value.function].member}',
    });
  });

  test('the binding locals are built from publishes, firestore and secrets', () => {
    expect(tf.locals.publisher_bindings).toMatch(/for topic in fn\.publishes/);
    expect(tf.locals.firestore_grants).toMatch(/for key, access in fn\.firestore/);
    expect(tf.locals.block_secrets_database).toBe('${local.topology.firestore.block_secrets_database}');
    expect(tf.locals.secret_bindings).toMatch(/for secret in fn\.secrets/);
  });

  test('only public functions are open to allUsers, and nothing to allAuthenticatedUsers', () => {
    const open = Object.entries(tf.files).flatMap(([file, json]) =>
      strings(json)
        .filter((s) => /allUsers|allAuthenticatedUsers/.test(s.value) && !/(description|error_message)$/.test(s.at))
        .map((s) => `${file}:${s.at}`),
    );
    expect(open).toEqual(['iam.tf:resource.google_cloud_run_service_iam_member.public[0].member']);
    expect(resource('google_cloud_run_service_iam_member', 'public')).toMatchObject({
      for_each: '${local.public_functions}',
      role: 'roles/run.invoker',
      member: 'allUsers',
      service: '${google_cloudfunctions2_function.fn[each.key].service_config[0].service}',
    });
    expect(tf.locals.public_functions).toMatch(/if fn\.public/);
  });

  test('the push invoker may invoke exactly the push targets, and Pub/Sub may mint its tokens', () => {
    expect(resource('google_cloud_run_service_iam_member', 'push_invoker')).toMatchObject({
      for_each: '${local.push_targets}',
      role: 'roles/run.invoker',
      member: '${google_service_account.push_invoker.member}',
    });
    expect(resource('google_service_account_iam_member', 'pubsub_mints_push_tokens')).toMatchObject({
      service_account_id: '${google_service_account.push_invoker.name}',
      role: 'roles/iam.serviceAccountTokenCreator',
      member: '${google_project_service_identity.pubsub.member}',
    });
  });

  test('the Pub/Sub service agent can dead-letter: publisher on dead-letter topics, subscriber on sources', () => {
    expect(resource('google_project_service_identity', 'pubsub').service).toBe('pubsub.googleapis.com');
    expect(resource('google_pubsub_topic_iam_member', 'dead_letter_publisher')).toMatchObject({
      for_each: '${local.dead_letter_topics}',
      role: 'roles/pubsub.publisher',
      member: '${google_project_service_identity.pubsub.member}',
    });
    expect(resource('google_pubsub_subscription_iam_member', 'dead_letter_subscriber')).toMatchObject({
      for_each: '${local.dead_lettered_subscriptions}',
      role: 'roles/pubsub.subscriber',
      member: '${google_project_service_identity.pubsub.member}',
    });
  });
});

describe('Pub/Sub', () => {
  test('every topology topic is a topic, under its own name', () => {
    expect(resource('google_pubsub_topic', 'topic')).toMatchObject({ for_each: '${local.topics}', name: '${each.key}' });
  });

  test('push subscriptions have retry, dead-letter and OIDC push to the function from the topology', () => {
    const push = resource('google_pubsub_subscription', 'push');
    expect(push.for_each).toBe('${local.push_subscriptions}');
    expect(push.topic).toBe('${google_pubsub_topic.topic[each.value.topic].id}');
    expect(push.ack_deadline_seconds).toBe('${each.value.ack_deadline_seconds}');
    expect(only(push, 'retry_policy')).toEqual({
      minimum_backoff: '${each.value.retry_policy.minimum_backoff}',
      maximum_backoff: '${each.value.retry_policy.maximum_backoff}',
    });
    // A static block: a push subscription without a dead-letter policy must fail the plan, not be created.
    expect(push.dynamic?.dead_letter_policy).toBeUndefined();
    expect(only(push, 'dead_letter_policy')).toEqual({
      dead_letter_topic: '${google_pubsub_topic.topic[each.value.dead_letter.topic].id}',
      max_delivery_attempts: '${each.value.dead_letter.max_delivery_attempts}',
    });
    const pushConfig = only(push, 'push_config');
    // The functions-framework builds the CloudEvent from a /projects/P/topics/T path.
    expect(pushConfig.push_endpoint).toBe(
      '${local.function_urls[each.value.push_to]}/projects/${var.project_id}/topics/${each.value.topic}',
    );
    // Pushes send an OIDC token for the audience the function verifies in code (PUSH_AUDIENCE, auth.tf).
    expect(only(pushConfig, 'oidc_token')).toEqual({
      service_account_email: '${google_service_account.push_invoker.email}',
      audience: '${local.function_urls[each.value.push_to]}',
    });
  });

  test('pull subscriptions keep their messages and take no pushes', () => {
    const pull = resource('google_pubsub_subscription', 'pull');
    expect(pull.for_each).toBe('${local.pull_subscriptions}');
    expect(pull.push_config).toBeUndefined();
    expect(pull.message_retention_duration).toMatch(/each\.value\.message_retention_duration/);
    expect(only(pull, 'retry_policy').minimum_backoff).toBe('${each.value.retry_policy.minimum_backoff}');
  });

  test('no Eventarc triggers (their subscriptions cannot dead-letter)', () => {
    expect(tf.resources.google_eventarc_trigger).toBeUndefined();
    expect(resource('google_cloudfunctions2_function', 'fn').event_trigger).toBeUndefined();
  });
});

describe('Firestore', () => {
  test('a Native mode (default) database', () => {
    expect(resource('google_firestore_database', 'main')).toMatchObject({ name: '(default)', type: 'FIRESTORE_NATIVE' });
  });

  test('TTL fields, index exemptions and composite indexes come from the topology', () => {
    // One resource per field: a TTL field gets its policy, and every field (TTL or exemption) no single-field index.
    const field = resource('google_firestore_field', 'single_field');
    expect(field).toMatchObject({
      for_each: '${local.firestore_fields}',
      collection: '${each.value.collection_group}',
      field: '${each.value.field}',
      index_config: [{}],
    });
    expect(only(field.dynamic, 'ttl_config')).toEqual({ for_each: '${each.value.ttl ? [each.key] : []}', content: [{}] });

    const index = resource('google_firestore_index', 'composite');
    expect(index).toMatchObject({
      for_each: '${local.composite_indexes}',
      collection: '${each.value.collection_group}',
      query_scope: '${each.value.query_scope}',
    });
    const fields = only(index.dynamic, 'fields');
    expect(fields.for_each).toBe('${each.value.fields}');
    // Ordered fields and array-contains fields alike: each sets the one the topology gives, the other is null.
    expect(only(fields, 'content')).toEqual({
      field_path: '${fields.value.field_path}',
      order: '${try(fields.value.order, null)}',
      array_config: '${try(fields.value.array_config, null)}',
    });
  });
});

describe('monitoring', () => {
  /** The HCL of one entry of a locals map (log_metrics, alerts), as hcl2json gives it. */
  const entry = (local: string, key: string): Block => {
    const map = tf.locals[local] as Record<string, Block> | undefined;
    if (!map?.[key]) throw new Error(`local.${local}.${key} is not declared`);
    return map[key]!;
  };

  test('log-based metrics filter on the fields the functions log, one resource for all', () => {
    const metric = resource('google_logging_metric', 'log');
    expect(metric.for_each).toBe('${local.log_metrics}');
    expect(metric.label_extractors).toContain('EXTRACT(jsonPayload.${label})');
    const signatures = entry('log_metrics', 'webhook_signature_failures');
    expect(signatures.filter).toContain('jsonPayload.outcome="rejected"');
    expect(signatures.filter).toContain('jsonPayload.reason=(${local.signature_failure_reasons})');
    // Every log reason the caller sees as a signature failure (reasons.ts: "alerts are built on them").
    const authReasons = Object.entries(REASONS)
      .filter(([, r]) => r.code === 'bad_signature' || r.code === 'missing_signature')
      .map(([reason]) => reason);
    expect(authReasons).toEqual(expect.arrayContaining(['bad_signature', 'missing_signature']));
    const listed = [...String(tf.locals.signature_failure_reasons).matchAll(/"(\w+)"/g)].map((m) => m[1]);
    expect(sorted(listed as string[])).toEqual(sorted(authReasons));
    expect(signatures.filter).toContain('resource.labels.service_name=${local.webhook_services_log_filter}');
    expect(signatures.labels).toEqual(['platform', 'reason']);

    const fivexx = entry('log_metrics', 'webhook_5xx');
    expect(fivexx.filter).toContain('jsonPayload.status>=500');
    expect(fivexx.filter).toContain('resource.labels.service_name=${local.webhook_services_log_filter}');

    const normalizer = entry('log_metrics', 'normalizer_errors');
    expect(normalizer.filter).toContain('severity>=ERROR');
    expect(normalizer.filter).toContain('jsonPayload.component="normalizer"');
  });

  test('every alert policy notifies the alert email channel', () => {
    expect(resource('google_monitoring_notification_channel', 'email').labels).toEqual({ email_address: '${var.alert_email}' });
    const policies = Object.entries(tf.resources.google_monitoring_alert_policy ?? {});
    expect(policies.map(([name]) => name)).toEqual(['alert']);
    expect(policies[0]![1].for_each).toBe('${local.alerts}');
    expect(policies[0]![1].notification_channels).toEqual(['${google_monitoring_notification_channel.email.name}']);
  });

  test('alerts watch dead letters, push backlogs, webhook 5xx, signature failures and normalizer errors', () => {
    const filters = (name: string): string => (entry('alerts', name).conditions as Block[]).map((c) => c.filter as string).join('\n');
    expect(filters('dead_letters')).toContain(
      'pubsub.googleapis.com/subscription/num_undelivered_messages" AND resource.labels.subscription_id = ${local.dead_letter_backlog_filter}',
    );
    expect(filters('push_backlog')).toContain(
      'pubsub.googleapis.com/subscription/oldest_unacked_message_age" AND resource.labels.subscription_id = ${local.push_subscriptions_filter}',
    );
    expect(filters('webhook_5xx')).toContain('${local.log_metric_filter.webhook_5xx}');
    expect(filters('signature_failures')).toContain('${local.log_metric_filter.webhook_signature_failures}');
    expect(filters('normalizer_errors')).toContain('${local.log_metric_filter.normalizer_errors}');
  });
});

describe('providers, variables, outputs', () => {
  test('google ~> 6 and a GCS backend left for ops to configure', () => {
    const block = tf.terraform[0]!;
    const providers = only(block, 'required_providers');
    expect(providers.google.version).toMatch(/^~>\s*6\./);
    expect(providers['google-beta'].version).toMatch(/^~>\s*6\./);
    expect(block.backend?.gcs).toBeDefined();
  });

  test('every variable is documented, and the ones ops type have validation', () => {
    for (const [name, v] of Object.entries(tf.variables)) expect([name, typeof v.description]).toEqual([name, 'string']);
    for (const name of [
      'project_id',
      'region',
      'name_prefix',
      'alert_email',
      'secret_versions',
      'max_instances_cap',
      'min_instances',
      'event_log_retention_days',
    ]) {
      expect([name, Array.isArray(tf.variables[name]?.validation)]).toEqual([name, true]);
    }
  });

  test('the APIs the pipeline needs are enabled', () => {
    const apis = tf.locals.apis as string;
    for (const api of [
      'cloudfunctions',
      'run',
      'cloudbuild',
      'artifactregistry',
      'pubsub',
      'firestore',
      'secretmanager',
      'monitoring',
      'logging',
    ]) {
      expect(apis).toContain(`"${api}.googleapis.com"`);
    }
    expect(resource('google_project_service', 'enabled').for_each).toBe('${local.apis}');
  });

  test('outputs give the webhook URLs per platform, the events-api URL and the topic names', () => {
    expect(Object.keys(tf.outputs)).toEqual(expect.arrayContaining(['webhook_urls', 'events_api_url', 'blocks_api_url', 'topic_names']));
    expect(tf.outputs.webhook_urls!.value).toMatch(/local\.public_functions/);
  });
});

describeWithTerraform('locals evaluated by terraform against topology.json', () => {
  const ev = (expression: string, vars: Record<string, string> = {}): unknown => {
    const result = evaluate(expression, { ...VARS, ...vars });
    if (!result.ok) throw new Error(`terraform console failed for ${expression}:\n${result.output}`);
    return result.value;
  };

  let locals: Record<string, unknown>;
  beforeAll(() => {
    locals = ev(
      `{ publisher_bindings = local.publisher_bindings, firestore_grants = local.firestore_grants,
         secret_bindings = local.secret_bindings, public_functions = keys(local.public_functions),
         push_subscriptions = keys(local.push_subscriptions), pull_subscriptions = keys(local.pull_subscriptions),
         push_targets = local.push_targets, dead_letter_topics = local.dead_letter_topics,
         dead_lettered_subscriptions = keys(local.dead_lettered_subscriptions),
         dead_letter_backlog_subscriptions = local.dead_letter_backlog_subscriptions,
         app_secrets = local.app_secrets, ttl_fields = values(local.ttl_fields), firestore_fields = local.firestore_fields,
         composite_indexes = values(local.composite_indexes), function_env = local.function_env,
         min = local.function_min_instances, max = local.function_max_instances,
         ingress = local.ingress_settings, service_account_ids = local.service_account_ids,
         webhook_services = local.webhook_services }`,
    ) as Record<string, unknown>;
  });

  test('each function service account gets exactly the grants its topology entry implies', () => {
    const publishers = Object.values(locals.publisher_bindings as Record<string, { function: string; topic: string }>);
    const secrets = Object.values(locals.secret_bindings as Record<string, { function: string; secret: string }>);
    const firestore = Object.values(locals.firestore_grants as Record<string, { function: string; database: string; role: string }>);
    const actual = Object.fromEntries(
      fns.map(([name]) => [
        name,
        sorted([
          ...publishers.filter((b) => b.function === name).map((b) => `roles/pubsub.publisher on topic ${b.topic}`),
          ...firestore.filter((g) => g.function === name).map((g) => `${g.role} on database ${g.database}`),
          ...secrets.filter((b) => b.function === name).map((b) => `roles/secretmanager.secretAccessor on secret ${b.secret}`),
        ]),
      ]),
    );
    expect(actual).toEqual(expectedGrants());
  });

  test('only the public topology functions are public, and only Pub/Sub-triggered ones are internal-only', () => {
    expect(sorted(locals.public_functions as string[])).toEqual(sorted(fns.filter(([, f]) => f.public).map(([n]) => n)));
    expect(locals.ingress).toEqual(
      Object.fromEntries(fns.map(([n, f]) => [n, f.trigger === 'pubsub' ? 'ALLOW_INTERNAL_ONLY' : 'ALLOW_ALL'])),
    );
    expect(sorted(locals.webhook_services as string[])).toEqual(sorted(fns.filter(([, f]) => f.public).map(([n]) => `convotic-${n}`)));
  });

  test('subscriptions split into push and pull, and push targets are their functions', () => {
    expect(sorted(locals.push_subscriptions as string[])).toEqual(sorted(subs.filter(([, s]) => s.push_to).map(([n]) => n)));
    expect(sorted(locals.pull_subscriptions as string[])).toEqual(sorted(subs.filter(([, s]) => s.pull).map(([n]) => n)));
    expect(sorted(locals.push_targets as string[])).toEqual(sorted(new Set(subs.flatMap(([, s]) => (s.push_to ? [s.push_to] : [])))));
  });

  test('dead-letter IAM and alerts cover every dead-letter topic and subscription', () => {
    const dlTopics = new Set(subs.flatMap(([, s]) => (s.dead_letter ? [s.dead_letter.topic] : [])));
    expect(sorted(locals.dead_letter_topics as string[])).toEqual(sorted(dlTopics));
    expect(sorted(locals.dead_lettered_subscriptions as string[])).toEqual(sorted(subs.filter(([, s]) => s.dead_letter).map(([n]) => n)));
    expect(sorted(locals.dead_letter_backlog_subscriptions as string[])).toEqual(
      sorted(subs.filter(([, s]) => dlTopics.has(s.topic)).map(([n]) => n)),
    );
  });

  test("the app-level secrets are the union of the functions' secrets", () => {
    expect(sorted(locals.app_secrets as string[])).toEqual(sorted(new Set(fns.flatMap(([, f]) => f.secrets))));
  });

  test('every TTL field and composite index of the topology is declared', () => {
    // Key order differs between jsonencode and the file; compare canonical JSON.
    const canonical = (x: unknown): unknown =>
      Array.isArray(x)
        ? x.map(canonical)
        : x && typeof x === 'object'
          ? Object.fromEntries(
              Object.entries(x)
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([k, v]) => [k, canonical(v)]),
            )
          : x;
    const key = (x: unknown): string => JSON.stringify(canonical(x));
    expect((locals.ttl_fields as unknown[]).map(key).sort()).toEqual(topology.firestore.ttl_fields.map(key).sort());
    expect((locals.composite_indexes as unknown[]).map(key).sort()).toEqual(topology.firestore.composite_indexes.map(key).sort());
  });

  test('every TTL field and index exemption is one field setting, a field in both lists once', () => {
    const fields = locals.firestore_fields as Record<string, { collection_group: string; field: string; ttl: boolean }>;
    const ttl = new Set(topology.firestore.ttl_fields.map((t) => `${t.collection_group}/${t.field}`));
    const all = new Set([...ttl, ...topology.firestore.index_exemptions.map((e) => `${e.collection_group}/${e.field}`)]);
    expect(sorted(Object.keys(fields))).toEqual(sorted(all));
    for (const [key, f] of Object.entries(fields))
      expect([key, `${f.collection_group}/${f.field}`, f.ttl]).toEqual([key, key, ttl.has(key)]);
    // raw_messages lists every field, its TTL field too: the overlap is exercised, not only allowed.
    expect(topology.firestore.index_exemptions).toContainEqual({ collection_group: 'raw_messages', field: 'expire_at' });
  });

  test('functions get their topology env and instance limits', () => {
    const env = locals.function_env as Record<string, Record<string, string>>;
    for (const [name, fn] of fns) {
      expect(env[name]).toMatchObject({ ...fn.env, GOOGLE_CLOUD_PROJECT: VARS.project_id });
      // The secrets database is named only to the functions granted it.
      if (fn.firestore.block_secrets) expect(env[name]!.BLOCK_SECRETS_DATABASE).toBe(topology.firestore.block_secrets_database);
      else expect(env[name]).not.toHaveProperty('BLOCK_SECRETS_DATABASE');
    }
    expect(locals.min).toEqual(Object.fromEntries(fns.map(([n, f]) => [n, f.min_instances])));
    expect(locals.max).toEqual(Object.fromEntries(fns.map(([n, f]) => [n, f.max_instances])));
  });

  test('the function that writes Block secrets (blocks-api) gets each webhook URL as WEBHOOK_URL_<PLATFORM>; no other function does', () => {
    const env = locals.function_env as Record<string, Record<string, string>>;
    const prefix = ev('var.name_prefix') as string;
    const webhooks = fns.filter(([, fn]) => fn.public && fn.env.PLATFORM);
    const expected = Object.fromEntries(
      webhooks.map(([name, fn]) => [
        `WEBHOOK_URL_${fn.env.PLATFORM!.toUpperCase()}`,
        `https://${VARS.region}-${VARS.project_id}.cloudfunctions.net/${prefix}-${name}`,
      ]),
    );
    expect(Object.keys(expected)).toContain('WEBHOOK_URL_TELEGRAM');
    for (const [name, fn] of fns) {
      const urls = Object.fromEntries(Object.entries(env[name]!).filter(([k]) => k.startsWith('WEBHOOK_URL_')));
      const connects = fn.firestore.block_secrets === 'read_write' && !fn.public;
      expect([name, urls]).toEqual([name, connects ? expected : {}]);
    }
    expect(fns.filter(([, fn]) => fn.firestore.block_secrets === 'read_write').map(([n]) => n)).toEqual(['blocks-api']);
  });

  test('push functions verify the OIDC token their subscriptions send, and the private APIs their callers', () => {
    const prefix = ev('var.name_prefix') as string;
    const result = {
      env: ev('local.function_env', { api_callers: '{"support@example.com"=["ws_a"]}' }) as Record<string, Record<string, string>>,
      push_invoker: `${prefix}-push-invoker`,
    };
    const url = (name: string) => `https://${VARS.region}-${VARS.project_id}.cloudfunctions.net/${prefix}-${name}`;
    const pushTargets = new Set(subs.flatMap(([, s]) => (s.push_to ? [s.push_to] : [])));
    for (const [name, fn] of fns) {
      const env = result.env[name]!;
      const pushed = pushTargets.has(name);
      expect([name, env.PUSH_AUTH, env.PUSH_AUDIENCE, env.PUSH_SERVICE_ACCOUNT]).toEqual(
        pushed
          ? [name, 'on', url(name), `${result.push_invoker}@${VARS.project_id}.iam.gserviceaccount.com`]
          : [name, undefined, undefined, undefined],
      );
      const api = fn.trigger === 'http' && !fn.public;
      expect([name, env.API_AUTH, env.API_AUDIENCE]).toEqual(api ? [name, 'on', url(name)] : [name, undefined, undefined]);
      // Only where Cloud Run's invoker check stands in front (no allUsers) is a Google-stripped token trusted.
      expect([name, env.BEHIND_CLOUD_RUN_IAM]).toEqual([name, fn.public ? undefined : 'true']);
      // Authentication is never turned off in production.
      expect(env.PUSH_AUTH ?? 'on').toBe('on');
      expect(env.API_AUTH ?? 'on').toBe('on');
    }
    expect(JSON.parse(result.env['events-api']!.API_CALLERS!)).toEqual({
      'support@example.com': ['ws_a'],
      [`${prefix}-reconcile@${VARS.project_id}.iam.gserviceaccount.com`]: ['*'],
    });
    expect(JSON.parse(result.env['blocks-api']!.API_CALLERS!)).toEqual({
      'support@example.com': ['ws_a'],
      [`${prefix}-block-check@${VARS.project_id}.iam.gserviceaccount.com`]: ['*'],
    });
  });

  test('instance variables cap and override the topology limits', () => {
    const [warm] = fns[0]!;
    const result = ev('{ min = local.function_min_instances, max = local.function_max_instances }', {
      max_instances_cap: '3',
      min_instances: `{"${warm}"=2}`,
    }) as { min: Record<string, number>; max: Record<string, number> };
    for (const [name, fn] of fns) {
      expect(result.max[name]).toBe(Math.min(fn.max_instances, 3));
      expect(result.min[name]).toBe(name === warm ? 2 : Math.min(fn.min_instances, 3));
    }
  });

  test('event_log_retention_days overrides EVENT_LOG_RETENTION_DAYS where the topology sets it, and only there', () => {
    const env = ev('local.function_env', { event_log_retention_days: '14' }) as Record<string, Record<string, string>>;
    for (const [name, fn] of fns) {
      if ('EVENT_LOG_RETENTION_DAYS' in fn.env) expect(env[name]!.EVENT_LOG_RETENTION_DAYS).toBe('14');
      else expect(env[name]).not.toHaveProperty('EVENT_LOG_RETENTION_DAYS');
    }
  });

  test('service account ids are valid and distinct even with the longest name prefix', () => {
    const ids = Object.values(ev('local.service_account_ids', { name_prefix: 'abcdefghijkl' }) as Record<string, string>);
    expect(new Set(ids).size).toBe(fns.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/);
  });

  test.each([
    ['alert_email', 'not-an-email'],
    ['name_prefix', 'Convotic_Prod'],
    ['secret_versions', '{META_APP_SECRET="latest"}'],
    ['event_log_retention_days', '0'],
    ['api_callers', '{"dashboard"=["*"]}'],
    ['api_callers', '{"support@example.com"=[]}'],
  ])('variable validation rejects %s = %s', (name, value) => {
    const result = plan({ ...VARS, [name]: value });
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/Invalid value for variable/);
  });

  test('valid variables plan cleanly (the validation cases above fail for their own reason)', () => {
    const result = plan({ ...VARS, secret_versions: '{META_APP_SECRET="3"}', event_log_retention_days: '30' });
    expect([result.ok, result.output]).toEqual([true, expect.any(String)]);
  });
});
