output "webhook_urls" {
  description = "Public webhook URL per platform, to register in each platform's console (docs/deploy.md, step 5)."
  value = {
    for name, fn in local.public_functions :
    try(fn.env.PLATFORM, name) => google_cloudfunctions2_function.fn[name].url
  }
}

output "blocks_api_url" {
  description = "URL of the private blocks-api (connect, disconnect, rotate, check Blocks; npm run blocks -- --url); callers need run.invoker (var.invokers)."
  value       = try(google_cloudfunctions2_function.fn["blocks-api"].url, null)
}

output "events_api_url" {
  description = "URL of the private events-api (list, filter, get and replay event-log entries); callers need run.invoker (var.invokers)."
  value       = try(google_cloudfunctions2_function.fn["events-api"].url, null)
}

output "function_urls" {
  description = "URL of every function, by topology name."
  value       = { for name, fn in google_cloudfunctions2_function.fn : name => fn.url }
}

output "topic_names" {
  description = "Pub/Sub topics by topology name, as full resource ids."
  value       = { for name, topic in google_pubsub_topic.topic : name => topic.id }
}

output "dead_letter_parking_subscriptions" {
  description = "Pull subscriptions holding messages for manual inspection."
  value       = { for name, sub in google_pubsub_subscription.pull : name => sub.id }
}

output "secret_ids" {
  description = "Secret Manager secret id for each app-level secret (environment variable name => secret id). Add versions to these, then set secret_versions."
  value       = local.secret_ids
}

output "function_service_accounts" {
  description = "Runtime service account email of each function."
  value       = { for name, sa in google_service_account.function : name => sa.email }
}
