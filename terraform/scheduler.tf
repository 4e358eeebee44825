# The scheduled Block check: Cloud Scheduler calls blocks-api `POST /checks`
# (shared/blocks/app.ts), which asks each platform about the webhook of every
# connected Block in every workspace and publishes platform.block.error for
# each failing one (docs/blocks.md, docs/operations.md). blocks-api is
# private: the job authenticates with an OIDC token of its own service
# account, which may invoke blocks-api and nothing else.

resource "google_service_account" "block_checker" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-block-check"
  display_name = "Convotic scheduled Block check"
  description  = "Cloud Scheduler calls blocks-api POST /checks as this account (run.invoker on blocks-api only)."

  depends_on = [time_sleep.apis_ready]
}

resource "google_cloud_run_service_iam_member" "block_checker" {
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.fn["blocks-api"].service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.block_checker.member
}

resource "google_cloud_scheduler_job" "block_check" {
  project     = var.project_id
  region      = var.region
  name        = "${var.name_prefix}-block-check"
  description = "Checks the webhook of every connected Block (blocks-api POST /checks); failing ones publish platform.block.error."
  schedule    = var.block_check_schedule
  time_zone   = "Etc/UTC"
  # The check runs within one blocks-api request: as long as the function may take.
  attempt_deadline = "${local.functions["blocks-api"].timeout_seconds}s"

  # A failed run (blocks-api down, Firestore unavailable) is retried once; the next schedule comes soon anyway.
  retry_config {
    retry_count          = 1
    min_backoff_duration = "30s"
  }

  http_target {
    http_method = "POST"
    uri         = "${local.function_urls["blocks-api"]}/checks"
    headers     = { "Content-Type" = "application/json" }
    body        = base64encode("{}")

    oidc_token {
      service_account_email = google_service_account.block_checker.email
      # blocks-api's API_AUDIENCE (auth.tf); this account is an API_CALLERS entry with ["*"] there.
      audience = local.function_urls["blocks-api"]
    }
  }

  depends_on = [time_sleep.apis_ready, google_cloud_run_service_iam_member.block_checker]
}
