# Alerts on the pipeline. The log-based metrics read the one JSON line the
# functions write per request (shared/log.ts via Cloud Logging's jsonPayload):
#   severity, message, platform, outcome ("accepted" | "rejected" | ...),
#   reason (the keys of REASONS in shared/edge/reasons.ts), status (HTTP status),
# and normalizer errors: severity ERROR with component "normalizer".
# Gen2 function logs carry resource.type cloud_run_revision, with the function
# name as resource.labels.service_name.

locals {
  # Logging query syntax: service_name=("a" OR "b").
  webhook_services_log_filter = "(${join(" OR ", [for s in local.webhook_services : "\"${s}\""])})"
  # Monitoring filter syntax: one_of("a", "b").
  webhook_services_metric_filter   = "one_of(${join(", ", [for s in local.webhook_services : "\"${s}\""])})"
  dead_letter_backlog_filter       = "one_of(${join(", ", [for s in local.dead_letter_backlog_subscriptions : "\"${s}\""])})"
  dead_lettered_subscriptions_list = "one_of(${join(", ", [for s in sort(keys(local.dead_lettered_subscriptions)) : "\"${s}\""])})"

  # Every reason the edge answers as bad_signature or missing_signature
  # (shared/edge/reasons.ts); the log keeps the precise one.
  signature_failure_reasons = join(" OR ", [for r in [
    "missing_signature",
    "bad_signature",
    "unknown_destination",
    "unknown_secret_token",
    "secret_not_configured",
  ] : "\"${r}\""])

  alert_docs_link = "See \"Operate > Alerts\" in the README."
}

resource "google_monitoring_notification_channel" "email" {
  project      = var.project_id
  display_name = "${var.name_prefix} pipeline alerts"
  type         = "email"

  labels = {
    email_address = var.alert_email
  }

  depends_on = [google_project_service.enabled]
}

# --- Log-based metrics --------------------------------------------------------

resource "google_logging_metric" "webhook_signature_failures" {
  project     = var.project_id
  name        = "${var.name_prefix}/webhook_signature_failures"
  description = "Webhook requests that failed authentication, by platform and reason."
  filter      = <<-EOT
    resource.type="cloud_run_revision"
    resource.labels.service_name=${local.webhook_services_log_filter}
    jsonPayload.outcome="rejected"
    jsonPayload.reason=(${local.signature_failure_reasons})
  EOT

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"

    labels {
      key        = "platform"
      value_type = "STRING"
    }
    labels {
      key        = "reason"
      value_type = "STRING"
    }
  }

  label_extractors = {
    platform = "EXTRACT(jsonPayload.platform)"
    reason   = "EXTRACT(jsonPayload.reason)"
  }

  depends_on = [google_project_service.enabled]
}

resource "google_logging_metric" "webhook_5xx" {
  project     = var.project_id
  name        = "${var.name_prefix}/webhook_5xx"
  description = "Webhook requests our code answered with a 5xx (the platform will retry), by platform."
  filter      = <<-EOT
    resource.type="cloud_run_revision"
    resource.labels.service_name=${local.webhook_services_log_filter}
    jsonPayload.status>=500
  EOT

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"

    labels {
      key        = "platform"
      value_type = "STRING"
    }
  }

  label_extractors = {
    platform = "EXTRACT(jsonPayload.platform)"
  }

  depends_on = [google_project_service.enabled]
}

resource "google_logging_metric" "normalizer_errors" {
  project     = var.project_id
  name        = "${var.name_prefix}/normalizer_errors"
  description = "Errors the normalizer logged (each one fails the delivery, which Pub/Sub retries)."
  filter      = <<-EOT
    resource.type="cloud_run_revision"
    severity>=ERROR
    jsonPayload.component="normalizer"
  EOT

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }

  depends_on = [google_project_service.enabled]
}

# A new log-based metric takes a while to become visible to alert policies
# (hashicorp/terraform-provider-google#11102); creating the policy at once
# fails with "Cannot find metric(s)". If it still does, run apply again.
resource "time_sleep" "log_metrics_visible" {
  create_duration = "90s"

  triggers = {
    metrics = join(",", [
      google_logging_metric.webhook_signature_failures.id,
      google_logging_metric.webhook_5xx.id,
      google_logging_metric.normalizer_errors.id,
    ])
  }
}

# --- Alert policies -----------------------------------------------------------

resource "google_monitoring_alert_policy" "dead_letter_backlog" {
  project               = var.project_id
  display_name          = "${var.name_prefix}: dead letters waiting"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = [google_monitoring_notification_channel.email.name]

  conditions {
    display_name = "Undelivered messages on a dead-letter subscription for 10 minutes"

    condition_threshold {
      filter          = "resource.type = \"pubsub_subscription\" AND metric.type = \"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND resource.labels.subscription_id = ${local.dead_letter_backlog_filter}"
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_thresholds.dead_letter_backlog_messages
      duration        = "600s"

      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_MAX"
        cross_series_reducer = "REDUCE_MAX"
        group_by_fields      = ["resource.label.subscription_id"]
      }

      trigger {
        count = 1
      }
    }
  }

  conditions {
    display_name = "Messages dead-lettered after every retry"

    condition_threshold {
      filter          = "resource.type = \"pubsub_subscription\" AND metric.type = \"pubsub.googleapis.com/subscription/dead_letter_message_count\" AND resource.labels.subscription_id = ${local.dead_lettered_subscriptions_list}"
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.subscription_id"]
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      A consumer failed on messages after every retry, or dead letters are piling up unrecorded.
      Dead-lettered events are marked failed in the event log; a backlog on an
      event-log dead-letter subscription means the event log itself is failing, and
      anything on `dead-letter-parking` waits for manual inspection.
      ${local.alert_docs_link}
    EOT
  }
}

resource "google_monitoring_alert_policy" "webhook_5xx" {
  project               = var.project_id
  display_name          = "${var.name_prefix}: webhook 5xx"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = [google_monitoring_notification_channel.email.name]

  conditions {
    display_name = "Webhook 5xx logged by our code, per platform"

    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/${google_logging_metric.webhook_5xx.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_thresholds.webhook_5xx_per_5m
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.platform"]
      }

      trigger {
        count = 1
      }
    }
  }

  # Crashes, timeouts and cold-start failures never reach our logger; Cloud
  # Run's own request metric still counts them.
  conditions {
    display_name = "Webhook 5xx served by Cloud Run, per function"

    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"run.googleapis.com/request_count\" AND metric.labels.response_code_class = \"5xx\" AND resource.labels.service_name = ${local.webhook_services_metric_filter}"
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_thresholds.webhook_5xx_per_5m
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name"]
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      A webhook is answering 5xx: it could not publish to `webhook-raw` (or crashed).
      Platforms retry, but LINE only redelivers when redelivery is enabled for the channel.
      ${local.alert_docs_link}
    EOT
  }

  depends_on = [time_sleep.log_metrics_visible]
}

resource "google_monitoring_alert_policy" "signature_failures" {
  project               = var.project_id
  display_name          = "${var.name_prefix}: webhook signature failures"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = [google_monitoring_notification_channel.email.name]

  conditions {
    display_name = "Rejected signatures per platform in 5 minutes"

    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/${google_logging_metric.webhook_signature_failures.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_thresholds.signature_failures_per_5m
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.platform", "metric.label.reason"]
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      Many webhook requests fail signature checks: a secret was rotated on one side
      only, or someone is probing the public endpoints.
      ${local.alert_docs_link}
    EOT
  }

  depends_on = [time_sleep.log_metrics_visible]
}

resource "google_monitoring_alert_policy" "normalizer_errors" {
  project               = var.project_id
  display_name          = "${var.name_prefix}: normalizer errors"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = [google_monitoring_notification_channel.email.name]

  conditions {
    display_name = "Normalizer errors in 5 minutes"

    condition_threshold {
      filter          = "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/${google_logging_metric.normalizer_errors.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_thresholds.normalizer_errors_per_5m
      duration        = "0s"

      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }

      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = <<-EOT
      The normalizer is failing on raw webhook messages. Pub/Sub retries them with
      backoff; after max_delivery_attempts they go to `webhook-raw-dead-letter`.
      ${local.alert_docs_link}
    EOT
  }

  depends_on = [time_sleep.log_metrics_visible]
}
