# Plans and applies the whole configuration with mock providers, then holds
# the result against topology.json. Runs offline through
# test/terraform/validate.test.ts (npm test), which serves the real provider
# schemas, so every argument here is also checked against google 6.50.0.
#
# The expected values come from topology.json (and package.json for the
# runtime), read here, not from the configuration's locals.

mock_provider "google" {
  # Computed values the mocks would otherwise make up as random strings; set
  # where the configuration builds names from them.
  mock_data "google_project" {
    defaults = {
      number = "123456789012"
    }
  }
}

mock_provider "google-beta" {
  mock_resource "google_project_service_identity" {
    defaults = {
      member = "serviceAccount:service-123456789012@gcp-sa-pubsub.iam.gserviceaccount.com"
    }
  }
}

mock_provider "time" {}

variables {
  project_id  = "convotic-test-1"
  region      = "europe-west1"
  alert_email = "oncall@example.com"
  # Not the default, so the names below prove they use the prefix.
  name_prefix = "cvt"

  # Test-only values (not variables of the configuration), for the assertions.
  topology = jsondecode(file("../topology.json"))
  # "24.x" in package.json engines => "nodejs24".
  runtime = "nodejs${regex("[0-9]+", jsondecode(file("../package.json")).engines.node)}"
  # One version of every app-level secret the functions read.
  secret_versions = {
    for s in distinct(flatten([for fn in values(jsondecode(file("../topology.json")).functions) : fn.secrets])) : s => "1"
  }
}

run "pipeline" {
  command = apply

  # --- Functions: one per topology entry ---------------------------------------

  assert {
    condition     = sort(keys(google_cloudfunctions2_function.fn)) == sort(keys(var.topology.functions))
    error_message = "Functions ${jsonencode(sort(keys(google_cloudfunctions2_function.fn)))} are not topology.json's ${jsonencode(sort(keys(var.topology.functions)))}."
  }

  assert {
    condition     = alltrue([for name, fn in google_cloudfunctions2_function.fn : fn.name == "${var.name_prefix}-${name}"])
    error_message = "Function names are not <name_prefix>-<function>: ${jsonencode([for fn in google_cloudfunctions2_function.fn : fn.name])}."
  }

  assert {
    condition     = alltrue([for fn in google_cloudfunctions2_function.fn : fn.build_config[0].runtime == var.runtime])
    error_message = "Every function must run ${var.runtime} (package.json engines): ${jsonencode(distinct([for fn in google_cloudfunctions2_function.fn : fn.build_config[0].runtime]))}."
  }

  assert {
    condition     = alltrue([for name, fn in google_cloudfunctions2_function.fn : fn.build_config[0].entry_point == var.topology.functions[name].entry_point])
    error_message = "A function's entry point differs from topology.json."
  }

  assert {
    condition = alltrue([
      for name, fn in google_cloudfunctions2_function.fn :
      fn.build_config[0].source[0].storage_source[0].object == google_storage_bucket_object.function_source[name].name &&
      endswith(google_storage_bucket_object.function_source[name].source, "dist/${name}.zip")
    ])
    error_message = "Each function must deploy the object uploaded from its own dist/<function>.zip."
  }

  assert {
    condition     = alltrue([for name, fn in google_cloudfunctions2_function.fn : fn.service_config[0].service_account_email == google_service_account.function[name].email])
    error_message = "Each function must run as its own service account."
  }

  assert {
    condition = alltrue([
      for name, fn in google_cloudfunctions2_function.fn : alltrue([
        for k, v in var.topology.functions[name].env : fn.service_config[0].environment_variables[k] == v
      ])
    ])
    error_message = "A function lacks an environment value topology.json gives it."
  }

  assert {
    condition = alltrue([
      for name, fn in google_cloudfunctions2_function.fn :
      sort([for e in fn.service_config[0].secret_environment_variables : e.key]) == sort(var.topology.functions[name].secrets)
    ])
    error_message = "A function's secret environment variables are not exactly its topology.json secrets."
  }

  assert {
    condition     = sort(keys(output.function_urls)) == sort(keys(var.topology.functions))
    error_message = "output function_urls must have one URL per topology.json function."
  }

  # The mocks give every function its own made-up service URI and name; the
  # push and invoker checks below can only tell functions apart if they differ.
  assert {
    condition = (
      length(distinct([for fn in google_cloudfunctions2_function.fn : fn.service_config[0].uri])) == length(var.topology.functions) &&
      length(distinct([for fn in google_cloudfunctions2_function.fn : fn.service_config[0].service])) == length(var.topology.functions)
    )
    error_message = "The mocked functions do not have distinct URIs and services, so the checks below would prove nothing."
  }

  # --- Pub/Sub ------------------------------------------------------------------

  assert {
    condition     = sort([for t in google_pubsub_topic.topic : t.name]) == sort(keys(var.topology.topics))
    error_message = "Topics are not exactly topology.json's."
  }

  assert {
    condition     = sort(keys(google_pubsub_subscription.push)) == sort([for name, sub in var.topology.subscriptions : name if try(sub.push_to, null) != null])
    error_message = "Push subscriptions are not topology.json's push_to entries: ${jsonencode(sort(keys(google_pubsub_subscription.push)))}."
  }

  assert {
    condition = alltrue([
      for name, s in google_pubsub_subscription.push :
      s.name == name &&
      s.topic == google_pubsub_topic.topic[var.topology.subscriptions[name].topic].id &&
      startswith(s.push_config[0].push_endpoint, "https://${var.region}-${var.project_id}.cloudfunctions.net/${google_cloudfunctions2_function.fn[var.topology.subscriptions[name].push_to].name}/") &&
      s.push_config[0].oidc_token[0].audience == "https://${var.region}-${var.project_id}.cloudfunctions.net/${google_cloudfunctions2_function.fn[var.topology.subscriptions[name].push_to].name}" &&
      s.push_config[0].oidc_token[0].service_account_email == google_service_account.push_invoker.email
    ])
    error_message = "A push subscription does not read its topology topic or push (with the push invoker's token) to its push_to function: ${jsonencode({ for name, s in google_pubsub_subscription.push : name => s.push_config[0].push_endpoint })}."
  }

  # The token each push sends is the one its function verifies in code (auth.tf).
  assert {
    condition = alltrue([
      for name, s in google_pubsub_subscription.push :
      google_cloudfunctions2_function.fn[var.topology.subscriptions[name].push_to].service_config[0].environment_variables["PUSH_AUDIENCE"] == s.push_config[0].oidc_token[0].audience &&
      google_cloudfunctions2_function.fn[var.topology.subscriptions[name].push_to].service_config[0].environment_variables["PUSH_SERVICE_ACCOUNT"] == "${google_service_account.push_invoker.account_id}@${var.project_id}.iam.gserviceaccount.com" &&
      google_cloudfunctions2_function.fn[var.topology.subscriptions[name].push_to].service_config[0].environment_variables["PUSH_AUTH"] == "on"
    ])
    error_message = "A push function does not verify the audience and service account its subscriptions' tokens carry."
  }

  assert {
    condition = alltrue([
      for name, s in google_pubsub_subscription.push :
      s.dead_letter_policy[0].dead_letter_topic == google_pubsub_topic.topic[var.topology.subscriptions[name].dead_letter.topic].id &&
      s.dead_letter_policy[0].max_delivery_attempts == var.topology.subscriptions[name].dead_letter.max_delivery_attempts &&
      s.ack_deadline_seconds == var.topology.subscriptions[name].ack_deadline_seconds &&
      s.retry_policy[0].minimum_backoff == var.topology.subscriptions[name].retry_policy.minimum_backoff &&
      s.retry_policy[0].maximum_backoff == var.topology.subscriptions[name].retry_policy.maximum_backoff
    ])
    error_message = "A push subscription's dead-letter topic, max delivery attempts, ack deadline or retry policy differs from topology.json."
  }

  assert {
    condition = (
      sort(keys(google_pubsub_subscription.pull)) == sort([for name, sub in var.topology.subscriptions : name if try(sub.pull, false)]) &&
      length(google_pubsub_subscription.pull) > 0 &&
      alltrue([
        for name, s in google_pubsub_subscription.pull :
        s.name == name && length(s.push_config) == 0 &&
        s.topic == google_pubsub_topic.topic[var.topology.subscriptions[name].topic].id &&
        s.message_retention_duration == try(var.topology.subscriptions[name].message_retention_duration, s.message_retention_duration)
      ])
    )
    error_message = "Pull subscriptions are not exactly topology.json's pull entries, or one pushes, reads another topic or keeps messages another time."
  }

  assert {
    condition = (
      sort(keys(google_pubsub_subscription_iam_member.dead_letter_subscriber)) == sort([for name, sub in var.topology.subscriptions : name if can(sub.dead_letter.topic)]) &&
      sort(keys(google_pubsub_topic_iam_member.dead_letter_publisher)) == sort(distinct([for sub in values(var.topology.subscriptions) : sub.dead_letter.topic if can(sub.dead_letter.topic)])) &&
      alltrue([for b in google_pubsub_topic_iam_member.dead_letter_publisher : b.role == "roles/pubsub.publisher" && b.member == google_project_service_identity.pubsub.member]) &&
      alltrue([for b in google_pubsub_subscription_iam_member.dead_letter_subscriber : b.role == "roles/pubsub.subscriber" && b.member == google_project_service_identity.pubsub.member])
    )
    error_message = "The Pub/Sub service agent must publish to every dead-letter topic and subscribe to every dead-lettered subscription, and nothing else."
  }

  # --- IAM: exactly what topology.json grants each function ---------------------

  assert {
    condition = toset([for b in google_pubsub_topic_iam_member.function_publisher : "${b.role} ${b.topic} ${b.member}"]) == toset(flatten([
      for name, fn in var.topology.functions : [
        for topic in fn.publishes : "roles/pubsub.publisher ${topic} ${google_service_account.function[name].member}"
      ]
    ]))
    error_message = "Publisher bindings are not exactly each function's publishes in topology.json."
  }

  assert {
    condition = toset([
      for b in google_project_iam_member.function_firestore :
      "${b.role} ${b.member} ${one(regexall("projects/[^/]+/databases/[^\"]+", b.condition[0].expression))}"
      ]) == toset(flatten([
        for name, fn in var.topology.functions : [
          for db, access in fn.firestore :
          "${access == "read" ? "roles/datastore.viewer" : "roles/datastore.user"} ${google_service_account.function[name].member} projects/${var.project_id}/databases/${db == "default" ? "(default)" : var.topology.firestore.block_secrets_database}"
        ]
    ]))
    error_message = "Firestore grants are not exactly topology.json's (roles/datastore.viewer for read, roles/datastore.user for read_write, each held to its database): ${jsonencode([for b in google_project_iam_member.function_firestore : "${b.role} ${b.condition[0].expression}"])}."
  }

  assert {
    condition = toset([for b in google_secret_manager_secret_iam_member.function_secret_accessor : "${b.role} ${b.secret_id} ${b.member}"]) == toset(flatten([
      for name, fn in var.topology.functions : [
        for s in fn.secrets : "roles/secretmanager.secretAccessor ${google_secret_manager_secret.app[s].id} ${google_service_account.function[name].member}"
      ]
    ]))
    error_message = "Secret accessor bindings are not exactly each function's secrets in topology.json."
  }

  # --- Who may invoke the functions ---------------------------------------------

  assert {
    condition = (
      sort(keys(google_cloud_run_service_iam_member.public)) == sort([for name, fn in var.topology.functions : name if fn.public]) &&
      alltrue([
        for name, b in google_cloud_run_service_iam_member.public :
        b.role == "roles/run.invoker" && b.member == "allUsers" && b.service == google_cloudfunctions2_function.fn[name].service_config[0].service
      ])
    )
    error_message = "run.invoker for allUsers must be on exactly the public functions of topology.json."
  }

  assert {
    condition     = alltrue([for b in concat(values(google_cloud_run_service_iam_member.push_invoker), values(google_cloud_run_service_iam_member.invoker)) : b.member != "allUsers" && b.member != "allAuthenticatedUsers"])
    error_message = "Only the public webhooks may be invoked unauthenticated."
  }

  assert {
    condition = (
      sort(keys(google_cloud_run_service_iam_member.push_invoker)) == sort(distinct([for sub in values(var.topology.subscriptions) : sub.push_to if try(sub.push_to, null) != null])) &&
      alltrue([
        for name, b in google_cloud_run_service_iam_member.push_invoker :
        b.role == "roles/run.invoker" && b.member == google_service_account.push_invoker.member && b.service == google_cloudfunctions2_function.fn[name].service_config[0].service
      ])
    )
    error_message = "The push invoker must hold run.invoker on exactly the functions subscriptions push to."
  }

  assert {
    condition     = length(google_cloud_run_service_iam_member.invoker) == 0
    error_message = "No extra invokers without var.invokers."
  }

  # --- The scheduled calls (the Block check, reconciliation) ---------------------------

  assert {
    condition = (
      sort(keys(google_cloud_scheduler_job.scheduled)) == sort(["block-check", "reconcile"]) &&
      alltrue([
        for key, job in google_cloud_scheduler_job.scheduled :
        job.http_target[0].http_method == "POST" &&
        job.http_target[0].uri == "${google_cloudfunctions2_function.fn[local.scheduled_calls[key].function].service_config[0].environment_variables["API_AUDIENCE"]}${local.scheduled_calls[key].path}" &&
        job.http_target[0].oidc_token[0].audience == google_cloudfunctions2_function.fn[local.scheduled_calls[key].function].service_config[0].environment_variables["API_AUDIENCE"] &&
        job.http_target[0].oidc_token[0].service_account_email == google_service_account.scheduled[key].email &&
        jsondecode(google_cloudfunctions2_function.fn[local.scheduled_calls[key].function].service_config[0].environment_variables["API_CALLERS"])["${google_service_account.scheduled[key].account_id}@${var.project_id}.iam.gserviceaccount.com"] == ["*"]
      ])
    )
    error_message = "Each scheduled job must POST its function's URL + path with an OIDC token of its own account for the function's API_AUDIENCE, the account an API_CALLERS entry with [\"*\"] there."
  }

  assert {
    condition = (
      google_cloud_scheduler_job.scheduled["block-check"].http_target[0].uri == "${google_cloudfunctions2_function.fn["blocks-api"].service_config[0].environment_variables["API_AUDIENCE"]}/checks" &&
      google_cloud_scheduler_job.scheduled["block-check"].schedule == "*/15 * * * *" &&
      google_cloud_scheduler_job.scheduled["reconcile"].http_target[0].uri == "${google_cloudfunctions2_function.fn["events-api"].service_config[0].environment_variables["API_AUDIENCE"]}/reconciliations" &&
      google_cloud_scheduler_job.scheduled["reconcile"].schedule == "*/10 * * * *" &&
      google_service_account.scheduled["block-check"].account_id == "${var.name_prefix}-block-check" &&
      google_service_account.scheduled["reconcile"].account_id == "${var.name_prefix}-reconcile"
    )
    error_message = "The Block check POSTs blocks-api /checks every 15 minutes and reconciliation events-api /reconciliations every 10, as <name_prefix>-block-check and <name_prefix>-reconcile."
  }

  assert {
    condition = alltrue([
      for key, b in google_cloud_run_service_iam_member.scheduled :
      b.role == "roles/run.invoker" &&
      b.member == google_service_account.scheduled[key].member &&
      b.service == google_cloudfunctions2_function.fn[local.scheduled_calls[key].function].service_config[0].service &&
      !contains([for other in concat(values(google_cloud_run_service_iam_member.push_invoker), values(google_cloud_run_service_iam_member.invoker)) : other.member], b.member)
    ]) && length(google_cloud_run_service_iam_member.scheduled) == length(local.scheduled_calls)
    error_message = "Each scheduled job's account must hold run.invoker on its one function and nothing else."
  }

  assert {
    condition     = contains([for s in google_project_service.enabled : s.service], "cloudscheduler.googleapis.com")
    error_message = "Cloud Scheduler's API must be enabled."
  }

  # Without var.meta_app_id, blocks-api keeps topology.json's META_APP_ID.
  assert {
    condition     = google_cloudfunctions2_function.fn["blocks-api"].service_config[0].environment_variables["META_APP_ID"] == var.topology.functions["blocks-api"].env.META_APP_ID
    error_message = "Without meta_app_id, blocks-api's META_APP_ID must be topology.json's."
  }
}

# var.meta_app_id sets META_APP_ID where the topology env declares it, and
# var.block_check_schedule and var.reconcile_schedule their jobs' schedules.
run "meta_app_id_and_schedule" {
  command = plan

  variables {
    meta_app_id          = "1234567890123456"
    block_check_schedule = "0 * * * *"
    reconcile_schedule   = "*/30 * * * *"
  }

  assert {
    condition = alltrue([
      for name, fn in var.topology.functions :
      can(fn.env.META_APP_ID)
      ? google_cloudfunctions2_function.fn[name].service_config[0].environment_variables["META_APP_ID"] == "1234567890123456"
      : !contains(keys(google_cloudfunctions2_function.fn[name].service_config[0].environment_variables), "META_APP_ID")
    ])
    error_message = "meta_app_id must set META_APP_ID for exactly the functions whose topology env declares it."
  }

  assert {
    condition     = google_cloud_scheduler_job.scheduled["block-check"].schedule == "0 * * * *" && google_cloud_scheduler_job.scheduled["reconcile"].schedule == "*/30 * * * *"
    error_message = "block_check_schedule and reconcile_schedule must be their jobs' schedules."
  }
}

run "meta_app_id_must_be_digits" {
  command = plan

  variables {
    meta_app_id = "my-app"
  }

  expect_failures = [var.meta_app_id]
}

# var.invokers grants run.invoker on a private function to the principals named.
run "invokers" {
  command = plan

  variables {
    invokers = {
      "events-api" = ["serviceAccount:dashboard@convotic-test-1.iam.gserviceaccount.com"]
    }
  }

  assert {
    condition = (
      keys(google_cloud_run_service_iam_member.invoker) == ["events-api/serviceAccount:dashboard@convotic-test-1.iam.gserviceaccount.com"] &&
      one(values(google_cloud_run_service_iam_member.invoker)).role == "roles/run.invoker" &&
      one(values(google_cloud_run_service_iam_member.invoker)).member == "serviceAccount:dashboard@convotic-test-1.iam.gserviceaccount.com"
    )
    error_message = "var.invokers must give exactly the named principal run.invoker on events-api."
  }
}
