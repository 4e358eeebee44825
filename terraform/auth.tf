# In-code authentication (docs/architecture.md, Authentication): what each
# function verifies beyond Cloud Run's IAM invoker check. Push functions check
# the OIDC token of every push (PUSH_*); the private JSON APIs check the
# caller's Google ID token against api_callers (API_*). Derived from variables
# and topology.json only, like locals.tf, so tests can evaluate it.

locals {
  # A gen2 function's URL is https://<region>-<project>.cloudfunctions.net/<name>
  # (see webhook_urls): the address pushes and the scheduler call, and the
  # audience of their tokens, known before the function exists.
  function_urls = {
    for name in keys(local.functions) : name => "https://${var.region}-${var.project_id}.cloudfunctions.net/${local.function_names[name]}"
  }

  # Service account emails follow from their account ids (iam.tf, scheduler.tf).
  push_invoker_email = "${var.name_prefix}-push-invoker@${var.project_id}.iam.gserviceaccount.com"
  scheduled_caller_emails = {
    for key in keys(local.scheduled_calls) : key => "${local.scheduled_account_ids[key]}@${var.project_id}.iam.gserviceaccount.com"
  }
  # Each scheduled job's own account may call its function's operator routes; var.api_callers adds everyone else.
  scheduler_callers = {
    for name in distinct([for call in values(local.scheduled_calls) : call.function]) : name => {
      for key, call in local.scheduled_calls : local.scheduled_caller_emails[key] => ["*"] if call.function == name
    }
  }

  # Private HTTP functions are the JSON APIs: every request needs a caller of api_callers.
  api_functions = toset([for name, fn in local.functions : name if fn.trigger == "http" && !fn.public])

  auth_env = {
    for name, fn in local.functions : name => merge(
      # Only private functions have Cloud Run's invoker check in front (no public invoker binding), so only there
      # may a token whose signature Google removed after that check be trusted (its claims are still checked).
      fn.public ? {} : { BEHIND_CLOUD_RUN_IAM = "true" },
      contains(local.push_targets, name) ? {
        PUSH_AUTH            = "on"
        PUSH_AUDIENCE        = local.function_urls[name]
        PUSH_SERVICE_ACCOUNT = local.push_invoker_email
      } : {},
      contains(local.api_functions, name) ? {
        API_AUTH     = "on"
        API_AUDIENCE = local.function_urls[name]
        API_CALLERS  = jsonencode(merge(var.api_callers, try(local.scheduler_callers[name], {})))
      } : {},
    )
  }
}
