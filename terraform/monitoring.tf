# Alerts on the pipeline. The log-based metrics read the one JSON line the
# functions write per request (shared/runtime/log.ts via Cloud Logging's jsonPayload):
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
  push_subscriptions_filter        = "one_of(${join(", ", [for s in sort(keys(local.push_subscriptions)) : "\"${s}\""])})"

  # Every reason the edge answers as bad_signature or missing_signature
  # (shared/edge/reasons.ts); the log keeps the precise one.
  signature_failure_reasons = join(" OR ", [for r in [
    "missing_signature",
    "bad_signature",
    "unknown_destination",
    "unknown_secret_token",
    "secret_not_configured",
  ] : "\"${r}\""])

  alert_docs_link = "What to do: docs/operations.md, Alerts."
}

resource "google_monitoring_notification_channel" "email" {
  project      = var.project_id
  display_name = "${var.name_prefix} pipeline alerts"
  type         = "email"

  labels = {
    email_address = var.alert_email
  }

  depends_on = [time_sleep.apis_ready]
}

# --- Log-based metrics --------------------------------------------------------

locals {
  log_metrics = {
    webhook_signature_failures = {
      description = "Webhook requests that failed authentication, by platform and reason."
      filter      = <<-EOT
        resource.type="cloud_run_revision"
        resource.labels.service_name=${local.webhook_services_log_filter}
        jsonPayload.outcome="rejected"
        jsonPayload.reason=(${local.signature_failure_reasons})
      EOT
      labels      = ["platform", "reason"]
    }
    webhook_5xx = {
      description = "Webhook requests our code answered with a 5xx (the platform will retry), by platform."
      filter      = <<-EOT
        resource.type="cloud_run_revision"
        resource.labels.service_name=${local.webhook_services_log_filter}
        jsonPayload.status>=500
      EOT
      labels      = ["platform"]
    }
    # blocks-api's line for each failing check (shared/blocks/service.ts check(), which publishes
    # platform.block.error), whether the scheduled check (scheduler.tf) or an operator ran it.
    block_errors = {
      description = "Block checks that found a Block's webhook not healthy (each publishes platform.block.error), by platform."
      filter      = <<-EOT
        resource.type="cloud_run_revision"
        resource.labels.service_name="${local.function_names["blocks-api"]}"
        jsonPayload.message="block webhook is not healthy"
      EOT
      labels      = ["platform"]
    }
    # One line per acknowledged webhook a reconciliation run found missing from the log (shared/reconcile/run.ts).
    reconciled_webhooks = {
      description = "Acknowledged webhooks reconciliation found missing from the event log (replayed, or unresolved), by platform and outcome."
      filter      = <<-EOT
        resource.type="cloud_run_revision"
        resource.labels.service_name="${local.function_names["events-api"]}"
        jsonPayload.outcome=("reconciled" OR "unresolved")
      EOT
      labels      = ["platform", "outcome"]
    }
    normalizer_errors = {
      description = "Errors the normalizer logged (each one fails the delivery, which Pub/Sub retries)."
      filter      = <<-EOT
        resource.type="cloud_run_revision"
        severity>=ERROR
        jsonPayload.component="normalizer"
      EOT
      labels      = []
    }
    # Throughput and refusals: the edge's one line per request, the only one of its lines with an outcome.
    webhook_requests = {
      description = "Webhook requests, by platform, outcome (accepted, handshake, rejected, error) and reason."
      filter      = <<-EOT
        resource.type="cloud_run_revision"
        resource.labels.service_name=${local.webhook_services_log_filter}
        jsonPayload.outcome:*
      EOT
      labels      = ["platform", "outcome", "reason"]
    }
    normalizer_rejections = {
      description = "Batch items the normalizer rejected (unroutable, unsupported, invalid, unparseable), by platform and reason."
      filter      = <<-EOT
        resource.type="cloud_run_revision"
        jsonPayload.component="normalizer"
        jsonPayload.message=~"^batch item rejected"
      EOT
      labels      = ["platform", "reason"]
    }
    # Latency (distributions, in ms, from the edge's receive time: shared/runtime/trace.ts).
    # The line each consumer writes per handled message carries age_ms; the
    # report that made an event `success` carries success_age_ms.
    event_age = {
      description = "Age of a message when a consumer finished it (ms since the edge received the webhook), by consumer."
      filter      = <<-EOT
        resource.type="cloud_run_revision"
        jsonPayload.age_ms>=0
      EOT
      labels      = ["component"]
      value_field = "age_ms"
    }
    success_age = {
      description = "POST to status success: ms from the edge receiving the webhook to the event's last expected consumer succeeding, by event type."
      filter      = <<-EOT
        resource.type="cloud_run_revision"
        jsonPayload.success_age_ms>=0
      EOT
      labels      = ["type"]
      value_field = "success_age_ms"
    }
  }
}

# Each label is read from the jsonPayload field of the same name.
resource "google_logging_metric" "log" {
  for_each = local.log_metrics

  project     = var.project_id
  name        = "${var.name_prefix}/${each.key}"
  description = each.value.description
  filter      = each.value.filter

  metric_descriptor {
    metric_kind = "DELTA"
    # An entry with value_field is a distribution of that numeric field; the others count lines.
    value_type = try(each.value.value_field, null) == null ? "INT64" : "DISTRIBUTION"
    unit       = try(each.value.value_field, null) == null ? "1" : "ms"

    dynamic "labels" {
      for_each = each.value.labels
      content {
        key        = labels.value
        value_type = "STRING"
      }
    }
  }

  label_extractors = { for label in each.value.labels : label => "EXTRACT(jsonPayload.${label})" }
  value_extractor  = try(each.value.value_field, null) == null ? null : "EXTRACT(jsonPayload.${each.value.value_field})"

  # 1 ms to about 3 hours in 40 buckets, each 1.5 times the last: fine where the latencies are.
  dynamic "bucket_options" {
    for_each = try(each.value.value_field, null) == null ? [] : [each.value.value_field]
    content {
      exponential_buckets {
        num_finite_buckets = 40
        growth_factor      = 1.5
        scale              = 1
      }
    }
  }

  depends_on = [time_sleep.apis_ready]
}

# A new log-based metric takes a while to become visible to alert policies
# (hashicorp/terraform-provider-google#11102); creating the policy at once
# fails with "Cannot find metric(s)". If it still does, run apply again.
resource "time_sleep" "log_metrics_visible" {
  create_duration = "90s"

  triggers = {
    metrics = join(",", sort([for m in google_logging_metric.log : m.id]))
  }
}

# --- Alert policies -----------------------------------------------------------
# One entry per alert. A condition is a threshold on `filter`, summed (or maxed)
# per `group_by` over `period`; it fires when the value stays above `threshold`
# for `duration`.

locals {
  log_metric_filter = { for name, m in google_logging_metric.log : name => "resource.type = \"cloud_run_revision\" AND metric.type = \"logging.googleapis.com/user/${m.name}\"" }

  alerts = {
    # How late workflows start: the p95 age of what the triggers consumer finished.
    triggers_age_p95 = {
      display_name = "events reach the triggers consumer late"
      severity     = "WARNING"
      conditions = [
        {
          display_name = "p95 age of events at the triggers consumer, over 5 minutes"
          filter       = "${local.log_metric_filter.event_age} AND metric.labels.component = \"triggers\""
          threshold    = var.alert_thresholds.triggers_age_p95_ms
          duration     = "300s"
          period       = "300s"
          aligner      = "ALIGN_DELTA"
          reducer      = "REDUCE_PERCENTILE_95"
          group_by     = []
        },
      ]
      documentation = <<-EOT
        Events take longer than the threshold from the webhook POST to the triggers
        consumer, so workflows start late. The dashboard shows where the time goes
        (age at each consumer, backlog per subscription); one slow webhook can be
        followed through Cloud Trace and Logging by its trace id.
      EOT
    }

    dead_letters = {
      display_name = "dead letters waiting"
      severity     = "ERROR"
      conditions = [
        {
          display_name = "Undelivered messages on a dead-letter subscription for 10 minutes"
          filter       = "resource.type = \"pubsub_subscription\" AND metric.type = \"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND resource.labels.subscription_id = ${local.dead_letter_backlog_filter}"
          threshold    = var.alert_thresholds.dead_letter_backlog_messages
          duration     = "600s"
          period       = "60s"
          aligner      = "ALIGN_MAX"
          reducer      = "REDUCE_MAX"
          group_by     = ["resource.label.subscription_id"]
        },
        {
          display_name = "Messages dead-lettered after every retry"
          filter       = "resource.type = \"pubsub_subscription\" AND metric.type = \"pubsub.googleapis.com/subscription/dead_letter_message_count\" AND resource.labels.subscription_id = ${local.dead_lettered_subscriptions_list}"
          threshold    = 0
          duration     = "0s"
          period       = "300s"
          aligner      = "ALIGN_SUM"
          reducer      = "REDUCE_SUM"
          group_by     = ["resource.label.subscription_id"]
        },
      ]
      documentation = <<-EOT
        A consumer failed on messages after every retry, or dead letters are piling up unrecorded.
        Dead-lettered events are marked failed in the event log; a backlog on an
        event-log dead-letter subscription means the event log itself is failing, and
        anything on `dead-letter-parking` waits for manual inspection.
      EOT
    }

    # A push subscription whose oldest message keeps ageing is not being
    # consumed: the function is down, refusing, or too slow for the load.
    push_backlog = {
      display_name = "push subscription falling behind"
      severity     = "ERROR"
      conditions = [
        {
          display_name = "Oldest unacknowledged message older than the threshold, per push subscription"
          filter       = "resource.type = \"pubsub_subscription\" AND metric.type = \"pubsub.googleapis.com/subscription/oldest_unacked_message_age\" AND resource.labels.subscription_id = ${local.push_subscriptions_filter}"
          threshold    = var.alert_thresholds.oldest_unacked_seconds
          duration     = "300s"
          period       = "60s"
          aligner      = "ALIGN_MAX"
          reducer      = "REDUCE_MAX"
          group_by     = ["resource.label.subscription_id"]
        },
      ]
      documentation = <<-EOT
        A push subscription has a message it has not delivered for longer than the
        threshold: its function is failing, unreachable, or cannot keep up. Events are
        not lost (Pub/Sub retries, then dead-letters) but they are late.
      EOT
    }

    webhook_5xx = {
      display_name = "webhook 5xx"
      severity     = "CRITICAL"
      conditions = [
        {
          display_name = "Webhook 5xx logged by our code, per platform"
          filter       = local.log_metric_filter.webhook_5xx
          threshold    = var.alert_thresholds.webhook_5xx_per_5m
          duration     = "0s"
          period       = "300s"
          aligner      = "ALIGN_SUM"
          reducer      = "REDUCE_SUM"
          group_by     = ["metric.label.platform"]
        },
        # Crashes, timeouts and cold-start failures never reach our logger; Cloud
        # Run's own request metric still counts them.
        {
          display_name = "Webhook 5xx served by Cloud Run, per function"
          filter       = "resource.type = \"cloud_run_revision\" AND metric.type = \"run.googleapis.com/request_count\" AND metric.labels.response_code_class = \"5xx\" AND resource.labels.service_name = ${local.webhook_services_metric_filter}"
          threshold    = var.alert_thresholds.webhook_5xx_per_5m
          duration     = "0s"
          period       = "300s"
          aligner      = "ALIGN_SUM"
          reducer      = "REDUCE_SUM"
          group_by     = ["resource.label.service_name"]
        },
      ]
      documentation = <<-EOT
        A webhook is answering 5xx: it could not publish to `webhook-raw` (or crashed).
        Platforms retry, but LINE only redelivers when redelivery is enabled for the channel.
      EOT
    }

    signature_failures = {
      display_name = "webhook signature failures"
      severity     = "WARNING"
      conditions = [
        {
          display_name = "Rejected signatures per platform in 5 minutes"
          filter       = local.log_metric_filter.webhook_signature_failures
          threshold    = var.alert_thresholds.signature_failures_per_5m
          duration     = "0s"
          period       = "300s"
          aligner      = "ALIGN_SUM"
          reducer      = "REDUCE_SUM"
          group_by     = ["metric.label.platform", "metric.label.reason"]
        },
      ]
      documentation = <<-EOT
        Many webhook requests fail signature checks: a secret was rotated on one side
        only, or someone is probing the public endpoints.
      EOT
    }

    # One customer's revoked token is the dashboard's news (platform.block.error), not ops';
    # many failing Blocks of one platform at once point at our side (webhook URL, Meta app).
    block_errors = {
      display_name = "Blocks failing their webhook check"
      severity     = "WARNING"
      conditions = [
        {
          display_name = "Blocks whose webhook check failed, per platform, in 15 minutes"
          filter       = local.log_metric_filter.block_errors
          threshold    = var.alert_thresholds.block_errors_per_15m
          duration     = "0s"
          period       = "900s"
          aligner      = "ALIGN_SUM"
          reducer      = "REDUCE_SUM"
          group_by     = ["metric.label.platform"]
        },
      ]
      documentation = <<-EOT
        Many Blocks of one platform failed their webhook check (the scheduled Block
        check, blocks-api POST /checks): each published platform.block.error. Many at
        once usually means our side: the webhook URL, the Meta app subscription or its
        secrets, or the platform itself.
      EOT
    }

    # Any at all: every acknowledged webhook must reach the log by itself; a replayed one means something dropped it.
    reconciled_webhooks = {
      display_name = "acknowledged webhooks missing from the log"
      severity     = "ERROR"
      conditions = [
        {
          display_name = "Webhooks reconciliation found missing from the log, per platform, in 15 minutes"
          filter       = local.log_metric_filter.reconciled_webhooks
          threshold    = 0
          duration     = "0s"
          period       = "900s"
          aligner      = "ALIGN_SUM"
          reducer      = "REDUCE_SUM"
          group_by     = ["metric.label.platform", "metric.label.outcome"]
        },
      ]
      documentation = <<-EOT
        Reconciliation (events-api POST /reconciliations, every reconcile_schedule) found
        webhooks answered 200 whose log entries never appeared, and replayed them with the
        normalizer's own ids (outcome reconciled), or gave one up (outcome unresolved).
        GET /reconciliations lists them.
      EOT
    }

    normalizer_errors = {
      display_name = "normalizer errors"
      severity     = "ERROR"
      conditions = [
        {
          display_name = "Normalizer errors in 5 minutes"
          filter       = local.log_metric_filter.normalizer_errors
          threshold    = var.alert_thresholds.normalizer_errors_per_5m
          duration     = "0s"
          period       = "300s"
          aligner      = "ALIGN_SUM"
          reducer      = "REDUCE_SUM"
          group_by     = []
        },
      ]
      documentation = <<-EOT
        The normalizer is failing on raw webhook messages. Pub/Sub retries them with
        backoff; after max_delivery_attempts they go to `webhook-raw-dead-letter`.
      EOT
    }
  }
}

resource "google_monitoring_alert_policy" "alert" {
  for_each = local.alerts

  project               = var.project_id
  display_name          = "${var.name_prefix}: ${each.value.display_name}"
  combiner              = "OR"
  severity              = each.value.severity
  notification_channels = [google_monitoring_notification_channel.email.name]

  dynamic "conditions" {
    for_each = each.value.conditions
    content {
      display_name = conditions.value.display_name

      condition_threshold {
        filter          = conditions.value.filter
        comparison      = "COMPARISON_GT"
        threshold_value = conditions.value.threshold
        duration        = conditions.value.duration

        aggregations {
          alignment_period     = conditions.value.period
          per_series_aligner   = conditions.value.aligner
          cross_series_reducer = conditions.value.reducer
          group_by_fields      = conditions.value.group_by
        }

        trigger {
          count = 1
        }
      }
    }
  }

  alert_strategy {
    auto_close = "1800s"
  }

  documentation {
    mime_type = "text/markdown"
    content   = "${trimspace(each.value.documentation)}\n${local.alert_docs_link}"
  }

  # Conditions on log-based metrics fail until the metrics are visible.
  depends_on = [time_sleep.log_metrics_visible]
}
