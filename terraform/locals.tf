# Everything here is derived from topology.json and input variables only (no
# resource attributes), so the tests can evaluate these locals with
# `terraform console` and compare them with what the code expects.

locals {
  # The one declaration of topics, subscriptions, functions and Firestore
  # indexes. Adding a subscriber is an entry there, never an edit here.
  topology = jsondecode(file("${path.module}/../topology.json"))

  topics    = local.topology.topics
  functions = local.topology.functions

  # The Node major of package.json "engines", the esbuild target and the tests
  # (test/toolchain.test.ts holds them together). Deprecated 2028-04-30.
  runtime = "nodejs24"

  # --- Pub/Sub ---------------------------------------------------------------

  push_subscriptions = {
    for name, sub in local.topology.subscriptions : name => sub
    if try(sub.push_to, null) != null
  }
  pull_subscriptions = {
    for name, sub in local.topology.subscriptions : name => sub
    if try(sub.pull, false)
  }

  # Subscriptions with a dead-letter policy; the Pub/Sub service agent must be
  # a subscriber on each to forward undeliverable messages.
  dead_lettered_subscriptions = {
    for name, sub in local.topology.subscriptions : name => sub
    if can(sub.dead_letter.topic)
  }
  # Topics that receive dead letters; the service agent must publish to each.
  dead_letter_topics = toset([
    for sub in values(local.dead_lettered_subscriptions) : sub.dead_letter.topic
  ])
  # Subscriptions that read dead-letter topics: a backlog there means dead
  # letters are not being recorded (or parked ones are waiting for a human).
  dead_letter_backlog_subscriptions = sort([
    for name, sub in local.topology.subscriptions : name
    if contains(local.dead_letter_topics, sub.topic)
  ])

  # Functions that receive pushes; the push invoker gets run.invoker on each.
  push_targets = toset([for sub in values(local.push_subscriptions) : sub.push_to])

  # --- Functions -------------------------------------------------------------

  function_names = { for name in keys(local.functions) : name => "${var.name_prefix}-${name}" }

  # Written by `npm run build` (scripts/build.ts).
  function_archives = { for name in keys(local.functions) : name => "${path.module}/../dist/${name}.zip" }

  # Service account ids are limited to 30 characters: readable when
  # "<prefix>-<function>" fits, otherwise truncated plus a hash for uniqueness.
  service_account_ids = {
    for name in keys(local.functions) : name => (
      length("${var.name_prefix}-${name}") <= 30
      ? "${var.name_prefix}-${name}"
      : "${trimsuffix(substr("${var.name_prefix}-${name}", 0, 21), "-")}-${substr(sha1(name), 0, 8)}"
    )
  }

  public_functions = { for name, fn in local.functions : name => fn if fn.public }

  # Cloud Run service names of the public webhooks, for log and metric filters.
  webhook_services = sort([for name in keys(local.public_functions) : local.function_names[name]])

  # Pub/Sub-triggered functions only take pushes from Pub/Sub in this project,
  # which Cloud Run counts as internal traffic.
  ingress_settings = {
    for name, fn in local.functions : name => (
      fn.trigger == "pubsub" ? "ALLOW_INTERNAL_ONLY" : "ALLOW_ALL"
    )
  }

  # The public URL of each webhook function, by platform (env PLATFORM). A
  # gen2 function's URL is https://<region>-<project>.cloudfunctions.net/<name>,
  # so it is known before the function exists: the functions that need it get
  # it without depending on google_cloudfunctions2_function (one resource, so
  # a reference there would be a cycle). outputs.tf webhook_urls is the same.
  webhook_urls = {
    for name, fn in local.public_functions : fn.env.PLATFORM =>
    "https://${var.region}-${var.project_id}.cloudfunctions.net/${local.function_names[name]}"
    if can(fn.env.PLATFORM)
  }
  # The Block connection service (the function that writes Block secrets,
  # blocks-api) registers these with the platforms: WEBHOOK_URL_<PLATFORM>.
  webhook_url_env = { for platform, url in local.webhook_urls : "WEBHOOK_URL_${upper(platform)}" => url }

  function_env = {
    for name, fn in local.functions : name => merge(
      {
        # shared/runtime/log.ts links log lines to traces with it; gen2 does not set it.
        GOOGLE_CLOUD_PROJECT = var.project_id
        # Cloud Functions adds this itself; declaring it avoids a permanent diff.
        LOG_EXECUTION_ID = "true"
        # Spans to Cloud Trace (shared/runtime/trace.ts); log lines carry the trace either way.
        TRACE_EXPORTER     = var.trace_exporter
        TRACE_SAMPLE_RATIO = tostring(var.trace_sample_ratio)
      },
      fn.env,
      can(fn.firestore.block_secrets) ? { BLOCK_SECRETS_DATABASE = local.block_secrets_database } : {},
      # What it verifies in code: push tokens, API callers (auth.tf).
      local.auth_env[name],
      try(fn.firestore.block_secrets, "") == "read_write" && !fn.public ? local.webhook_url_env : {},
      can(fn.env.EVENT_LOG_RETENTION_DAYS) && var.event_log_retention_days != null
      ? { EVENT_LOG_RETENTION_DAYS = tostring(var.event_log_retention_days) }
      : {},
      # The Meta app id, for the functions whose topology env declares META_APP_ID (blocks-api).
      can(fn.env.META_APP_ID) && var.meta_app_id != null ? { META_APP_ID = var.meta_app_id } : {},
    )
  }

  function_max_instances = {
    for name, fn in local.functions : name => (
      var.max_instances_cap == null ? fn.max_instances : min(fn.max_instances, var.max_instances_cap)
    )
  }
  function_min_instances = {
    for name, fn in local.functions : name => min(
      lookup(var.min_instances, name, fn.min_instances),
      local.function_max_instances[name],
    )
  }

  # --- IAM: exactly what topology.json says each function needs ---------------

  # "<function>/<topic>" => publisher binding, one per entry in `publishes`.
  publisher_bindings = merge([
    for name, fn in local.functions : {
      for topic in fn.publishes : "${name}/${topic}" => { function = name, topic = topic }
    }
  ]...)

  # Firestore: each function's `firestore` in topology.json names the databases
  # it uses and its access to each; every pair is one role held to that one
  # database by an IAM condition. "<function>/<database key>" => grant.
  block_secrets_database = local.topology.firestore.block_secrets_database
  firestore_databases    = { default = "(default)", block_secrets = local.block_secrets_database }
  firestore_roles        = { read = "roles/datastore.viewer", read_write = "roles/datastore.user" }
  firestore_grants = merge([
    for name, fn in local.functions : {
      for key, access in fn.firestore : "${name}/${key}" => {
        function = name
        database = local.firestore_databases[key]
        role     = local.firestore_roles[access]
      }
    }
  ]...)

  # "<function>/<secret>" => accessor binding, one per entry in `secrets`.
  secret_bindings = merge([
    for name, fn in local.functions : {
      for secret in fn.secrets : "${name}/${secret}" => { function = name, secret = secret }
    }
  ]...)

  # Union of the functions' app-level secrets (per-Block secrets live in Firestore).
  app_secrets = toset(flatten([for fn in values(local.functions) : fn.secrets]))

  secret_ids = {
    for secret in local.app_secrets : secret => "${var.name_prefix}-${lower(replace(secret, "_", "-"))}"
  }

  # Extra invokers of private HTTP functions, "<function>/<member>" => binding.
  invoker_bindings = merge([
    for name, members in var.invokers : {
      for member in members : "${name}/${member}" => { function = name, member = member }
    }
  ]...)

  # --- Firestore -------------------------------------------------------------

  ttl_fields = {
    for ttl in local.topology.firestore.ttl_fields : "${ttl.collection_group}/${ttl.field}" => ttl
  }

  index_exemptions = {
    for ex in local.topology.firestore.index_exemptions : "${ex.collection_group}/${ex.field}" => ex
  }

  # Every field with settings of its own, once (firestore.tf): Firestore holds
  # one config per field, so a TTL field that is also an exemption is one entry.
  firestore_fields = {
    for key in distinct(concat(keys(local.ttl_fields), keys(local.index_exemptions))) : key => {
      collection_group = try(local.ttl_fields[key], local.index_exemptions[key]).collection_group
      field            = try(local.ttl_fields[key], local.index_exemptions[key]).field
      ttl              = contains(keys(local.ttl_fields), key)
    }
  }

  # Keyed by collection, scope and fields so that reordering topology.json does
  # not recreate indexes. An array field has array_config (CONTAINS) instead of
  # an order; ordered fields keep the key they always had.
  composite_indexes = {
    for index in local.topology.firestore.composite_indexes :
    "${index.collection_group}/${index.query_scope}/${join(",", [for f in index.fields : "${f.field_path}:${try(f.order, f.array_config)}"])}" => index
  }

  # --- Scheduled calls (scheduler.tf) -----------------------------------------

  # Every private API route Cloud Scheduler calls, each as a service account of its own that may invoke that
  # function only (and is an API_CALLERS entry with ["*"] there, auth.tf). Adding a job is an entry here.
  scheduled_calls = {
    "block-check" = {
      function     = "blocks-api"
      path         = "/checks"
      schedule     = var.block_check_schedule
      display_name = "Convotic scheduled Block check"
      description  = "Checks the webhook of every connected Block (blocks-api POST /checks); failing ones publish platform.block.error."
    }
    reconcile = {
      function     = "events-api"
      path         = "/reconciliations"
      schedule     = var.reconcile_schedule
      display_name = "Convotic scheduled reconciliation"
      description  = "Replays acknowledged webhooks missing from the event log (events-api POST /reconciliations)."
    }
  }
  scheduled_account_ids = { for key in keys(local.scheduled_calls) : key => "${var.name_prefix}-${key}" }
}
