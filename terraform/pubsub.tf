resource "google_pubsub_topic" "topic" {
  for_each = local.topics

  project = var.project_id
  # Exactly the topology name: the functions find topics through env values
  # such as RAW_TOPIC = "webhook-raw", and the local stack uses the same names.
  name = each.key

  # Set in topology.json where a consumer may subscribe late (workflow-executions:
  # the engine's subscription can seek back to what was published before it).
  message_retention_duration = try(each.value.message_retention_duration, null)

  depends_on = [time_sleep.apis_ready]
}

# Subscriptions we own (not Eventarc's), because Eventarc-made subscriptions
# cannot carry a dead-letter policy.
resource "google_pubsub_subscription" "push" {
  for_each = local.push_subscriptions

  project = var.project_id
  name    = each.key
  topic   = google_pubsub_topic.topic[each.value.topic].id

  ack_deadline_seconds       = each.value.ack_deadline_seconds
  message_retention_duration = try(each.value.message_retention_duration, null)

  retry_policy {
    minimum_backoff = each.value.retry_policy.minimum_backoff
    maximum_backoff = each.value.retry_policy.maximum_backoff
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.topic[each.value.dead_letter.topic].id
    max_delivery_attempts = each.value.dead_letter.max_delivery_attempts
  }

  push_config {
    # The URL shape the local stack uses (scripts/lib/pubsub-topology.ts): HTTP
    # subscribers ignore the path, and a CloudEvent subscriber needs it, since
    # the functions-framework reads the topic from /projects/P/topics/T.
    push_endpoint = "${local.function_urls[each.value.push_to]}/projects/${var.project_id}/topics/${each.value.topic}"

    oidc_token {
      service_account_email = google_service_account.push_invoker.email
      # The function's URL: what Cloud Run's invoker check accepts, and the
      # PUSH_AUDIENCE the function verifies in code (auth.tf).
      audience = local.function_urls[each.value.push_to]
    }
  }

  # Never expire for inactivity: a quiet platform must not lose its subscription.
  expiration_policy {
    ttl = ""
  }

  lifecycle {
    precondition {
      condition     = can(each.value.dead_letter.topic) && can(each.value.dead_letter.max_delivery_attempts)
      error_message = "Push subscription ${each.key} in topology.json needs dead_letter.topic and dead_letter.max_delivery_attempts."
    }
  }

  depends_on = [
    google_cloud_run_service_iam_member.push_invoker,
    google_service_account_iam_member.pubsub_mints_push_tokens,
    google_pubsub_topic_iam_member.dead_letter_publisher,
  ]
}

resource "google_pubsub_subscription" "pull" {
  for_each = local.pull_subscriptions

  project = var.project_id
  name    = each.key
  topic   = google_pubsub_topic.topic[each.value.topic].id

  ack_deadline_seconds = each.value.ack_deadline_seconds
  # Pull subscriptions hold messages for people to inspect: keep them as long
  # as Pub/Sub allows unless topology says otherwise.
  message_retention_duration = try(each.value.message_retention_duration, "604800s")

  retry_policy {
    minimum_backoff = each.value.retry_policy.minimum_backoff
    maximum_backoff = each.value.retry_policy.maximum_backoff
  }

  dynamic "dead_letter_policy" {
    for_each = can(each.value.dead_letter.topic) ? [each.value.dead_letter] : []
    content {
      dead_letter_topic     = google_pubsub_topic.topic[dead_letter_policy.value.topic].id
      max_delivery_attempts = dead_letter_policy.value.max_delivery_attempts
    }
  }

  expiration_policy {
    ttl = ""
  }
}
