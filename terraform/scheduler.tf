# Scheduled calls of the private APIs (local.scheduled_calls, locals.tf):
# - the Block check: blocks-api `POST /checks` (shared/blocks/app.ts) asks each
#   platform about the webhook of every connected Block in every workspace and
#   publishes platform.block.error for each failing one (docs/blocks.md,
#   docs/operations.md);
# - reconciliation: events-api `POST /reconciliations`
#   (shared/events-api/reconciliations.ts) finds webhook bodies answered 200
#   whose log entries never appeared and replays them through the current
#   normalizer (docs/operations.md, Reconciliation).
# The APIs are private: each job authenticates with an OIDC token of its own
# service account, which may invoke its one function and nothing else.

resource "google_service_account" "scheduled" {
  for_each = local.scheduled_calls

  project      = var.project_id
  account_id   = local.scheduled_account_ids[each.key]
  display_name = each.value.display_name
  description  = "Cloud Scheduler calls ${each.value.function} POST ${each.value.path} as this account (run.invoker on ${each.value.function} only)."

  depends_on = [time_sleep.apis_ready]
}

resource "google_cloud_run_service_iam_member" "scheduled" {
  for_each = local.scheduled_calls

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.fn[each.value.function].service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.scheduled[each.key].member
}

resource "google_cloud_scheduler_job" "scheduled" {
  for_each = local.scheduled_calls

  project     = var.project_id
  region      = var.region
  name        = "${var.name_prefix}-${each.key}"
  description = each.value.description
  schedule    = each.value.schedule
  time_zone   = "Etc/UTC"
  # A run works within one request of the function: as long as the function may take.
  attempt_deadline = "${local.functions[each.value.function].timeout_seconds}s"

  # A failed run is retried once; the next run comes soon and picks up whatever this one left.
  retry_config {
    retry_count          = 1
    min_backoff_duration = "30s"
  }

  http_target {
    http_method = "POST"
    uri         = "${local.function_urls[each.value.function]}${each.value.path}"
    headers     = { "Content-Type" = "application/json" }
    body        = base64encode("{}")

    oidc_token {
      service_account_email = google_service_account.scheduled[each.key].email
      # The function's API_AUDIENCE (auth.tf); this account is an API_CALLERS entry with ["*"] there.
      audience = local.function_urls[each.value.function]
    }
  }

  depends_on = [time_sleep.apis_ready, google_cloud_run_service_iam_member.scheduled]
}

# The jobs had a resource each before (scheduler.tf, reconcile.tf): existing deployments keep them.
moved {
  from = google_service_account.block_checker
  to   = google_service_account.scheduled["block-check"]
}
moved {
  from = google_cloud_run_service_iam_member.block_checker
  to   = google_cloud_run_service_iam_member.scheduled["block-check"]
}
moved {
  from = google_cloud_scheduler_job.block_check
  to   = google_cloud_scheduler_job.scheduled["block-check"]
}
moved {
  from = google_service_account.reconciler
  to   = google_service_account.scheduled["reconcile"]
}
moved {
  from = google_cloud_run_service_iam_member.reconciler
  to   = google_cloud_run_service_iam_member.scheduled["reconcile"]
}
moved {
  from = google_cloud_scheduler_job.reconcile
  to   = google_cloud_scheduler_job.scheduled["reconcile"]
}
