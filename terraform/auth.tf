# In-code authentication (docs/architecture.md, Authentication): what each
# function verifies beyond Cloud Run's IAM invoker check. Push functions check
# the OIDC token of every push (PUSH_*); the private JSON APIs check the
# caller's Google ID token against api_callers (API_*). Derived from variables
# and topology.json only, like locals.tf, so tests can evaluate it.

variable "api_callers" {
  description = "Who may call the private JSON APIs (events-api, blocks-api), and for which workspaces: the caller's Google identity (the email of a service account or user) => workspace ids, or [\"*\"] for every workspace and the operator routes (/unrouted, POST /checks). E.g. { \"dashboard@my-project.iam.gserviceaccount.com\" = [\"*\"], \"support@example.com\" = [\"ws_a\"] }. Each caller also needs run.invoker (var.invokers). Empty by default: no one until named (the scheduled jobs' own accounts are always allowed: the Block check on blocks-api, reconciliation on events-api)."
  type        = map(list(string))
  default     = {}

  validation {
    condition = alltrue([
      for email, workspaces in var.api_callers : can(regex("^[^@\\s]+@[^@\\s]+$", email)) && length(workspaces) > 0 && alltrue([
        for ws in workspaces : ws == "*" || can(regex("^[A-Za-z0-9_-]{1,128}$", ws))
      ])
    ])
    error_message = "api_callers maps an email to a non-empty list of workspace ids (letters, digits, _ or -) or [\"*\"]."
  }
}

locals {
  # A gen2 function's URL is https://<region>-<project>.cloudfunctions.net/<name>
  # (see webhook_urls): the address pushes and the scheduler call, and the
  # audience of their tokens, known before the function exists.
  function_urls = {
    for name in keys(local.functions) : name => "https://${var.region}-${var.project_id}.cloudfunctions.net/${local.function_names[name]}"
  }

  # Service account emails follow from their account ids (iam.tf, scheduler.tf).
  push_invoker_email  = "${var.name_prefix}-push-invoker@${var.project_id}.iam.gserviceaccount.com"
  block_checker_email = "${var.name_prefix}-block-check@${var.project_id}.iam.gserviceaccount.com"
  reconciler_email    = "${var.name_prefix}-reconcile@${var.project_id}.iam.gserviceaccount.com"
  # The scheduled jobs' own accounts may call their one operator route; var.api_callers adds everyone else.
  scheduler_callers = {
    "blocks-api" = { (local.block_checker_email) = ["*"] }
    "events-api" = { (local.reconciler_email) = ["*"] }
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
