# The pipeline at a glance: throughput, refusals, latency from the webhook POST
# (the log-based metrics of monitoring.tf), dead letters and backlog (Pub/Sub's
# own metrics). docs/operations.md says how to read it.

locals {
  dashboard_metric = { for name, m in google_logging_metric.log : name => "metric.type=\"logging.googleapis.com/user/${m.name}\" resource.type=\"cloud_run_revision\"" }

  # One chart: `series` is a list of { filter, aligner, reducer, group_by, label }.
  dashboard_charts = [
    {
      title = "Webhook requests per minute, by platform and outcome"
      series = [{
        filter   = local.dashboard_metric.webhook_requests
        aligner  = "ALIGN_RATE"
        reducer  = "REDUCE_SUM"
        group_by = ["metric.label.platform", "metric.label.outcome"]
      }]
    },
    {
      title = "Webhook refusals, by platform and reason"
      series = [{
        filter   = "${local.dashboard_metric.webhook_requests} metric.label.outcome=\"rejected\""
        aligner  = "ALIGN_RATE"
        reducer  = "REDUCE_SUM"
        group_by = ["metric.label.platform", "metric.label.reason"]
      }]
    },
    {
      title = "Normalizer rejections, by reason"
      series = [{
        filter   = local.dashboard_metric.normalizer_rejections
        aligner  = "ALIGN_RATE"
        reducer  = "REDUCE_SUM"
        group_by = ["metric.label.reason", "metric.label.platform"]
      }]
    },
    {
      title = "Age at each consumer, p50 and p95 (ms since the webhook POST)"
      series = [for p in ["50", "95"] : {
        filter   = local.dashboard_metric.event_age
        aligner  = "ALIGN_DELTA"
        reducer  = "REDUCE_PERCENTILE_${p}"
        group_by = ["metric.label.component"]
      }]
    },
    {
      title = "POST to status success, p50 / p95 / p99 (ms)"
      series = [for p in ["50", "95", "99"] : {
        filter   = local.dashboard_metric.success_age
        aligner  = "ALIGN_DELTA"
        reducer  = "REDUCE_PERCENTILE_${p}"
        group_by = []
      }]
    },
    {
      title = "Dead-lettered messages, by subscription"
      series = [{
        filter   = "metric.type=\"pubsub.googleapis.com/subscription/dead_letter_message_count\" resource.type=\"pubsub_subscription\""
        aligner  = "ALIGN_RATE"
        reducer  = "REDUCE_SUM"
        group_by = ["resource.label.subscription_id"]
      }]
    },
    {
      title = "Backlog: undelivered messages, by subscription"
      series = [{
        filter   = "metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" resource.type=\"pubsub_subscription\""
        aligner  = "ALIGN_MAX"
        reducer  = "REDUCE_MAX"
        group_by = ["resource.label.subscription_id"]
      }]
    },
    {
      title = "Backlog: oldest unacknowledged message age (s), by subscription"
      series = [{
        filter   = "metric.type=\"pubsub.googleapis.com/subscription/oldest_unacked_message_age\" resource.type=\"pubsub_subscription\""
        aligner  = "ALIGN_MAX"
        reducer  = "REDUCE_MAX"
        group_by = ["resource.label.subscription_id"]
      }]
    },
  ]

  # Two charts a row, each 6 of the 12 columns wide and 4 rows high.
  dashboard_json = jsonencode({
    displayName = "${var.name_prefix} webhook pipeline"
    mosaicLayout = {
      columns = 12
      tiles = [for i, chart in local.dashboard_charts : {
        xPos   = (i % 2) * 6
        yPos   = floor(i / 2) * 4
        width  = 6
        height = 4
        widget = {
          title = chart.title
          xyChart = {
            dataSets = [for s in chart.series : {
              plotType = "LINE"
              timeSeriesQuery = {
                timeSeriesFilter = {
                  filter = s.filter
                  aggregation = {
                    alignmentPeriod    = "60s"
                    perSeriesAligner   = s.aligner
                    crossSeriesReducer = s.reducer
                    groupByFields      = s.group_by
                  }
                }
              }
            }]
          }
        }
      }]
    }
  })
}

resource "google_monitoring_dashboard" "pipeline" {
  project        = var.project_id
  dashboard_json = local.dashboard_json

  # The charts read the log-based metrics, which must exist first.
  depends_on = [google_logging_metric.log]
}
