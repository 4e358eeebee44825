# Reconciliation (docs/operations.md, Reconciliation): Cloud Scheduler calls
# events-api `POST /reconciliations` (shared/events-api/reconciliations.ts),
# which finds webhook bodies answered 200 whose log entries never appeared and
# replays them through the current normalizer. events-api is private: the job
# authenticates with an OIDC token of its own service account, which may
# invoke events-api and nothing else, the pattern of the Block check
# (scheduler.tf).

variable "reconcile_schedule" {
  description = "When Cloud Scheduler runs reconciliation (POST /reconciliations on events-api: acknowledged webhooks missing from the event log are replayed), as a unix-cron expression in UTC. Every 10 minutes by default; a run looks only at bodies older than RECONCILE_MIN_AGE_SECONDS."
  type        = string
  default     = "*/10 * * * *"

  validation {
    condition     = length(split(" ", trimspace(var.reconcile_schedule))) == 5
    error_message = "reconcile_schedule must be a unix-cron expression of five fields, such as \"*/10 * * * *\"."
  }
}

resource "google_service_account" "reconciler" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-reconcile"
  display_name = "Convotic scheduled reconciliation"
  description  = "Cloud Scheduler calls events-api POST /reconciliations as this account (run.invoker on events-api only)."

  depends_on = [time_sleep.apis_ready]
}

resource "google_cloud_run_service_iam_member" "reconciler" {
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.fn["events-api"].service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.reconciler.member
}

resource "google_cloud_scheduler_job" "reconcile" {
  project     = var.project_id
  region      = var.region
  name        = "${var.name_prefix}-reconcile"
  description = "Replays acknowledged webhooks missing from the event log (events-api POST /reconciliations)."
  schedule    = var.reconcile_schedule
  time_zone   = "Etc/UTC"
  # A run works within one events-api request (at most RECONCILE_MAX_MESSAGES bodies): as long as the function may take.
  attempt_deadline = "${local.functions["events-api"].timeout_seconds}s"

  # A failed run is retried once; the next run picks up whatever it left (settled bodies are not read again).
  retry_config {
    retry_count          = 1
    min_backoff_duration = "30s"
  }

  http_target {
    http_method = "POST"
    uri         = "${local.function_urls["events-api"]}/reconciliations"
    headers     = { "Content-Type" = "application/json" }
    body        = base64encode("{}")

    oidc_token {
      service_account_email = google_service_account.reconciler.email
      # events-api's API_AUDIENCE (auth.tf).
      audience = local.function_urls["events-api"]
    }
  }

  depends_on = [time_sleep.apis_ready, google_cloud_run_service_iam_member.reconciler]
}
