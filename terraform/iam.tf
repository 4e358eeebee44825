# Least privilege, derived from topology.json: each function has its own
# service account holding only publisher on the topics in its `publishes`, the
# Firestore role its `firestore` access names on each database it lists, and
# accessor on its own `secrets`.

resource "google_service_account" "function" {
  for_each = local.functions

  project      = var.project_id
  account_id   = local.service_account_ids[each.key]
  display_name = "Convotic ${each.key} function"
  description  = "Runtime identity of the ${local.function_names[each.key]} function; roles come from topology.json."

  depends_on = [time_sleep.apis_ready]
}

resource "google_pubsub_topic_iam_member" "function_publisher" {
  for_each = local.publisher_bindings

  project = var.project_id
  topic   = google_pubsub_topic.topic[each.value.topic].name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.function[each.value.function].member
}

# Every function writes its spans to Cloud Trace's OTLP endpoint when tracing is on (var.trace_exporter).
resource "google_project_iam_member" "function_trace_writer" {
  for_each = var.trace_exporter == "cloud-trace" ? local.functions : {}

  project = var.project_id
  role    = "roles/telemetry.tracesWriter"
  member  = google_service_account.function[each.key].member
}

# Firestore grants are project-level; the condition holds each to one database,
# so a grant on (default) does not reach the Block secrets. Readers get
# roles/datastore.viewer, writers roles/datastore.user (topology.json says which).
resource "google_project_iam_member" "function_firestore" {
  for_each = local.firestore_grants

  project = var.project_id
  role    = each.value.role
  member  = google_service_account.function[each.value.function].member

  condition {
    title       = "database-${each.value.database == "(default)" ? "default" : each.value.database}-only"
    description = "${each.value.function}: ${each.value.role} on the ${each.value.database} database only."
    expression  = "resource.name == \"projects/${var.project_id}/databases/${each.value.database}\""
  }
}

resource "google_secret_manager_secret_iam_member" "function_secret_accessor" {
  for_each = local.secret_bindings

  project   = var.project_id
  secret_id = google_secret_manager_secret.app[each.value.secret].id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.function[each.value.function].member
}

# --- Who may invoke the functions ---------------------------------------------
# Gen2 functions are Cloud Run services: invocation is run.invoker on the service.

# Platforms call the webhooks unauthenticated; they prove themselves with
# signatures. Only functions with `public: true` get this binding.
resource "google_cloud_run_service_iam_member" "public" {
  for_each = local.public_functions

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.fn[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# Identity of the OIDC tokens on our push subscriptions.
resource "google_service_account" "push_invoker" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-push-invoker"
  display_name = "Convotic Pub/Sub push invoker"
  description  = "Pub/Sub push subscriptions authenticate to the subscriber functions as this account."

  depends_on = [time_sleep.apis_ready]
}

resource "google_cloud_run_service_iam_member" "push_invoker" {
  for_each = local.push_targets

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.fn[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.push_invoker.member
}

# E.g. the dashboard backend calling events-api.
resource "google_cloud_run_service_iam_member" "invoker" {
  for_each = local.invoker_bindings

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.fn[each.value.function].service_config[0].service
  role     = "roles/run.invoker"
  member   = each.value.member

  lifecycle {
    precondition {
      condition     = contains(keys(local.functions), each.value.function) && !try(local.functions[each.value.function].public, false)
      error_message = "invokers: ${each.value.function} is not a private function in topology.json."
    }
  }
}

# --- The Pub/Sub service agent ------------------------------------------------
# Created explicitly: enabling the API does not guarantee the agent exists yet,
# and IAM bindings on a missing account fail.
resource "google_project_service_identity" "pubsub" {
  provider = google-beta

  project = var.project_id
  service = "pubsub.googleapis.com"

  depends_on = [time_sleep.apis_ready]
}

# Mints the OIDC tokens for push (required for projects created before
# 2021-04-08, harmless after). Scoped to the one account, not the project.
resource "google_service_account_iam_member" "pubsub_mints_push_tokens" {
  service_account_id = google_service_account.push_invoker.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = google_project_service_identity.pubsub.member
}

# Dead-lettering: the agent publishes to each dead-letter topic ...
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = local.dead_letter_topics

  project = var.project_id
  topic   = google_pubsub_topic.topic[each.key].name
  role    = "roles/pubsub.publisher"
  member  = google_project_service_identity.pubsub.member
}

# ... and acknowledges the forwarded message on each source subscription.
resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  for_each = local.dead_lettered_subscriptions

  project      = var.project_id
  subscription = merge(google_pubsub_subscription.push, google_pubsub_subscription.pull)[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = google_project_service_identity.pubsub.member
}

# --- Cloud Build ----------------------------------------------------------------
# A dedicated build identity: new projects no longer grant the default compute
# account the roles builds need, and that account is far too broad anyway.
# It holds exactly what a function build does: write its log, push the image to
# our repository, read the source (ours, and the copy Cloud Functions stages).
resource "google_service_account" "builder" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-builder"
  display_name = "Convotic function builder"
  description  = "Cloud Build identity that builds the function images."

  depends_on = [time_sleep.apis_ready]
}

resource "google_project_iam_member" "builder_writes_logs" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = google_service_account.builder.member
}

resource "google_artifact_registry_repository_iam_member" "builder_pushes_images" {
  project    = var.project_id
  location   = google_artifact_registry_repository.functions.location
  repository = google_artifact_registry_repository.functions.name
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.builder.member
}

data "google_project" "this" {
  project_id = var.project_id
}

locals {
  gcf_sources_bucket = "gcf-v2-sources-${data.google_project.this.number}-${var.region}"
}

# Object read on two buckets only, not on every bucket of the project: our
# source bucket, and the one Cloud Functions copies each source into before the
# build (gcf-v2-sources-<project number>-<region>, created by the first deploy,
# so it is named in a condition rather than bound on the bucket).
resource "google_project_iam_member" "builder_reads_sources" {
  project = var.project_id
  role    = "roles/storage.objectViewer"
  member  = google_service_account.builder.member

  condition {
    title       = "function-source-buckets-only"
    description = "The function source bucket and Cloud Functions' staging copy of it."
    expression = join(" || ", flatten([
      for bucket in [google_storage_bucket.function_source.name, local.gcf_sources_bucket] : [
        "resource.name == \"projects/_/buckets/${bucket}\"",
        "resource.name.startsWith(\"projects/_/buckets/${bucket}/\")",
      ]
    ]))
  }
}

# --- Waiting for IAM ------------------------------------------------------------
# IAM changes take up to a few minutes to reach every Google service; a build or
# revision started at once can still be refused. Functions wait for this.
resource "time_sleep" "iam_ready" {
  create_duration = var.propagation_wait

  triggers = {
    grants = sha256(jsonencode([
      google_project_iam_member.builder_writes_logs.id,
      google_artifact_registry_repository_iam_member.builder_pushes_images.id,
      google_project_iam_member.builder_reads_sources.id,
      [for b in google_secret_manager_secret_iam_member.function_secret_accessor : b.id],
    ]))
  }
}
