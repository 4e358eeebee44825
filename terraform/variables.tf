variable "project_id" {
  description = "Google Cloud project the pipeline is deployed into. One pipeline per project: topic and subscription names are the ones in topology.json, shared with the code and the local stack."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project id: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "Region for the functions, the function source bucket and (unless firestore_location is set) Firestore, e.g. \"europe-west1\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as \"us-central1\" or \"europe-west1\"."
  }
}

variable "firestore_location" {
  description = "Firestore location: a region (\"europe-west1\") or multi-region (\"eur3\", \"nam5\"). Defaults to region. Cannot be changed once the database exists."
  type        = string
  default     = null

  validation {
    condition     = var.firestore_location == null || can(regex("^[a-z0-9-]+$", var.firestore_location))
    error_message = "firestore_location must be a Firestore location id such as \"europe-west1\" or \"nam5\"."
  }
}

variable "name_prefix" {
  description = "Prefix for the names of functions, service accounts, the source bucket, secrets, log metrics and alert policies. 3-12 characters so that every service account id stays within 30."
  type        = string
  default     = "convotic"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,10}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-12 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "alert_email" {
  description = "Email address that receives the pipeline's alerts (dead letters, webhook 5xx, signature-failure spikes, normalizer errors)."
  type        = string

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be an email address."
  }
}

variable "secret_versions" {
  description = <<-EOT
    Secret Manager version number each app-level secret is pinned to, keyed by the
    environment variable name the functions read (the union of the functions'
    `secrets` in topology.json), e.g. { META_APP_SECRET = "3", META_VERIFY_TOKEN = "2" }.
    Pinned rather than "latest" so that adding a version changes nothing until the
    next apply, and every revision records exactly which secret it runs with.
    A value may hold several secrets, comma-separated, current first (rotation).
  EOT
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for v in values(var.secret_versions) : can(regex("^[1-9][0-9]*$", v))])
    error_message = "secret_versions values must be version numbers (\"1\", \"2\", ...), not \"latest\"."
  }
}

variable "max_instances_cap" {
  description = "Upper bound applied to every function's max_instances from topology.json (e.g. 5 in a staging project). null keeps the topology values."
  type        = number
  default     = null

  validation {
    condition     = var.max_instances_cap == null || try(var.max_instances_cap >= 1 && floor(var.max_instances_cap) == var.max_instances_cap, false)
    error_message = "max_instances_cap must be a whole number >= 1, or null."
  }
}

variable "min_instances" {
  description = "Per-function overrides of min_instances from topology.json, keyed by function name, e.g. { \"webhook-whatsapp\" = 1 } to keep a webhook warm. Functions not listed keep the topology value."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for v in values(var.min_instances) : v >= 0 && v <= 100 && floor(v) == v])
    error_message = "min_instances values must be whole numbers between 0 and 100."
  }
}

variable "event_log_retention_days" {
  description = "Days an event stays in the event log before Firestore's TTL policy deletes it (sets EVENT_LOG_RETENTION_DAYS for every function whose topology env declares it). null keeps the topology value (30, as the product docs promise)."
  type        = number
  default     = null

  validation {
    condition     = var.event_log_retention_days == null || try(var.event_log_retention_days >= 1 && var.event_log_retention_days <= 365 && floor(var.event_log_retention_days) == var.event_log_retention_days, false)
    error_message = "event_log_retention_days must be a whole number of days between 1 and 365, or null."
  }
}

variable "meta_app_id" {
  description = "The Meta app's id (App Dashboard, App settings > Basic): sets META_APP_ID for every function whose topology env declares it (blocks-api), which connects Messenger, Instagram and WhatsApp Blocks with it. Not a secret. null keeps the topology value (empty: those connects answer 502 platform_error)."
  type        = string
  default     = null

  validation {
    condition     = var.meta_app_id == null || can(regex("^[0-9]{1,32}$", var.meta_app_id))
    error_message = "meta_app_id must be the Meta app's numeric id (digits only), or null."
  }
}

variable "block_check_schedule" {
  description = "When Cloud Scheduler runs the Block check (POST /checks on blocks-api: every connected Block's webhook, platform.block.error for each failing one), as a unix-cron expression in UTC. Every 15 minutes by default."
  type        = string
  default     = "*/15 * * * *"

  validation {
    condition     = length(split(" ", trimspace(var.block_check_schedule))) == 5
    error_message = "block_check_schedule must be a unix-cron expression of five fields, such as \"*/15 * * * *\"."
  }
}

variable "reconcile_schedule" {
  description = "When Cloud Scheduler runs reconciliation (POST /reconciliations on events-api: acknowledged webhooks missing from the event log are replayed), as a unix-cron expression in UTC. Every 10 minutes by default; a run looks only at bodies older than RECONCILE_MIN_AGE_SECONDS."
  type        = string
  default     = "*/10 * * * *"

  validation {
    condition     = length(split(" ", trimspace(var.reconcile_schedule))) == 5
    error_message = "reconcile_schedule must be a unix-cron expression of five fields, such as \"*/10 * * * *\"."
  }
}

variable "invokers" {
  description = "Extra principals allowed to invoke private HTTP functions, keyed by function name, e.g. { \"events-api\" = [\"serviceAccount:dashboard@my-project.iam.gserviceaccount.com\"] }."
  type        = map(list(string))
  default     = {}

  validation {
    condition = alltrue(flatten([
      for members in values(var.invokers) : [
        for m in members : can(regex("^(serviceAccount|user|group|domain):", m))
      ]
    ]))
    error_message = "invokers members must be IAM principals (serviceAccount:, user:, group: or domain:); allUsers is reserved for the public webhooks."
  }
}

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

variable "alert_thresholds" {
  description = "When alerts fire. Counts are per 5-minute window (block_errors_per_15m: per 15 minutes, a scheduled Block check's worth of failing Blocks of one platform; triggers_age_p95_ms: the p95 age, in ms since the webhook POST, of events at the triggers consumer over 5 minutes). Defaults suit a production project; raise them for noisy staging."
  type = object({
    webhook_5xx_per_5m           = optional(number, 5)
    signature_failures_per_5m    = optional(number, 50)
    normalizer_errors_per_5m     = optional(number, 10)
    dead_letter_backlog_messages = optional(number, 0)
    oldest_unacked_seconds       = optional(number, 900)
    block_errors_per_15m         = optional(number, 5)
    triggers_age_p95_ms          = optional(number, 30000)
  })
  default = {}

  validation {
    condition = alltrue([
      for v in values(var.alert_thresholds) : v >= 0
    ])
    error_message = "alert_thresholds values must be >= 0."
  }
}

variable "firestore_delete_protection" {
  description = "Keep Firestore delete protection on. Terraform never deletes the database (deletion_policy ABANDON); this also stops deletion from the console or gcloud."
  type        = bool
  default     = true
}

variable "propagation_wait" {
  description = "How long apply waits after enabling APIs and after the IAM grants that builds and revisions need, before using them (Google propagates both asynchronously). Raise it if a first apply still fails with a propagation error."
  type        = string
  default     = "90s"

  validation {
    condition     = can(regex("^[0-9]+s$", var.propagation_wait))
    error_message = "propagation_wait must be a number of seconds such as \"90s\"."
  }
}

variable "firestore_backup_retention_days" {
  description = "Days each daily Firestore backup (both databases) is kept. Point-in-time recovery covers the last 7 days on top."
  type        = number
  default     = 14

  validation {
    condition     = try(var.firestore_backup_retention_days >= 1 && var.firestore_backup_retention_days <= 98 && floor(var.firestore_backup_retention_days) == var.firestore_backup_retention_days, false)
    error_message = "firestore_backup_retention_days must be a whole number of days between 1 and 98 (14 weeks, Firestore's limit)."
  }
}

variable "trace_exporter" {
  description = "Where the functions send spans: cloud-trace (Cloud Trace, parent-based sampling) or none (no OpenTelemetry SDK loaded; log lines still carry trace, spanId and trace_sampled). See docs/operations.md, Following one webhook."
  type        = string
  default     = "cloud-trace"

  validation {
    condition     = contains(["cloud-trace", "none"], var.trace_exporter)
    error_message = "trace_exporter must be cloud-trace or none."
  }
}

variable "trace_sample_ratio" {
  description = "Share of the traces a function starts itself that are sampled (0 to 1). A request Cloud Run already sampled, and everything it caused, follows that decision."
  type        = number
  default     = 0.1

  validation {
    condition     = var.trace_sample_ratio >= 0 && var.trace_sample_ratio <= 1
    error_message = "trace_sample_ratio must be between 0 and 1."
  }
}
