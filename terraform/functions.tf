# One gen2 function per entry in topology.json `functions`. Source comes from
# `npm run build`, which writes dist/<function>.zip: the bundle, its
# package.json and a package-lock.json for the one package left external, in an
# archive with fixed timestamps and modes, so one commit gives the same bytes
# (and so the same object name) on any machine, and Cloud Build resolves nothing.

resource "google_storage_bucket" "function_source" {
  project  = var.project_id
  name     = "${var.project_id}-${var.name_prefix}-function-source"
  location = var.region

  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  depends_on = [time_sleep.apis_ready]
}

resource "google_storage_bucket_object" "function_source" {
  for_each = local.functions

  bucket       = google_storage_bucket.function_source.name
  content_type = "application/zip"
  source       = local.function_archives[each.key]
  # The content hash in the name makes a code change a new object, and a new
  # object redeploys the function; an unchanged build deploys nothing.
  name = "${each.key}/${fileexists(local.function_archives[each.key]) ? filesha256(local.function_archives[each.key]) : "missing"}.zip"

  lifecycle {
    precondition {
      condition     = fileexists(local.function_archives[each.key])
      error_message = "dist/${each.key}.zip is missing: run `npm ci && npm run build` in the repository root before terraform plan/apply."
    }
  }
}

# The function images, in a repository of our own so the builder can be granted
# this one repository, and old images do not pile up.
resource "google_artifact_registry_repository" "functions" {
  project       = var.project_id
  location      = var.region
  repository_id = "${var.name_prefix}-functions"
  description   = "Images Cloud Build makes of the Convotic pipeline's functions."
  format        = "DOCKER"

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 10
    }
  }
  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      older_than = "2592000s"
    }
  }

  depends_on = [time_sleep.apis_ready]
}

resource "google_cloudfunctions2_function" "fn" {
  for_each = local.functions

  project     = var.project_id
  location    = var.region
  name        = local.function_names[each.key]
  description = "Convotic webhook pipeline: ${each.key} (${each.value.trigger})"

  labels = {
    function = each.key
    trigger  = each.value.trigger
  }

  build_config {
    runtime           = local.runtime
    entry_point       = each.value.entry_point
    service_account   = google_service_account.builder.id
    docker_repository = google_artifact_registry_repository.functions.id

    source {
      storage_source {
        bucket = google_storage_bucket.function_source.name
        object = google_storage_bucket_object.function_source[each.key].name
      }
    }
  }

  # Every function is an HTTP function to Cloud Functions: Pub/Sub-triggered
  # ones receive our push subscriptions (pubsub.tf), not an Eventarc trigger.
  service_config {
    service_account_email            = google_service_account.function[each.key].email
    available_memory                 = each.value.memory
    available_cpu                    = each.value.cpu
    max_instance_request_concurrency = each.value.concurrency
    min_instance_count               = local.function_min_instances[each.key]
    max_instance_count               = local.function_max_instances[each.key]
    timeout_seconds                  = each.value.timeout_seconds
    ingress_settings                 = local.ingress_settings[each.key]
    all_traffic_on_latest_revision   = true
    environment_variables            = local.function_env[each.key]

    dynamic "secret_environment_variables" {
      for_each = toset(each.value.secrets)
      content {
        key        = secret_environment_variables.value
        project_id = var.project_id
        secret     = google_secret_manager_secret.app[secret_environment_variables.value].secret_id
        version    = var.secret_versions[secret_environment_variables.value]
      }
    }
  }

  lifecycle {
    precondition {
      condition     = alltrue([for s in each.value.secrets : contains(keys(var.secret_versions), s)])
      error_message = "Function ${each.key} reads secrets ${join(", ", each.value.secrets)}: add a version of each in Secret Manager and set secret_versions (docs/deploy.md, First deployment, step 3)."
    }
    precondition {
      condition     = alltrue([for name in keys(var.min_instances) : contains(keys(local.functions), name)])
      error_message = "min_instances names functions that are not in topology.json: ${join(", ", [for name in keys(var.min_instances) : name if !contains(keys(local.functions), name)])}."
    }
  }

  # A build without its grants, or a revision that cannot read its secrets,
  # fails: iam_ready waits until those grants have propagated.
  depends_on = [time_sleep.iam_ready]
}
