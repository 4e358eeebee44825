locals {
  apis = toset([
    "artifactregistry.googleapis.com", # function images built by Cloud Build
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "cloudscheduler.googleapis.com", # the scheduled Block check (scheduler.tf)
    "cloudtrace.googleapis.com",     # Cloud Trace, where the spans are read
    "telemetry.googleapis.com",      # its OTLP endpoint, where every function writes them (var.trace_exporter)
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com", # OIDC tokens for push subscriptions
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com", # gen2 functions run as Cloud Run services
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ])
}

resource "google_project_service" "enabled" {
  for_each = local.apis

  project = var.project_id
  service = each.value

  # Disabling an API on destroy would break anything else in the project using it.
  disable_on_destroy         = false
  disable_dependent_services = false
}

# An API answers "not enabled" (or "has not been used in project") for a while
# after enablement returns; everything that calls one waits for this instead.
resource "time_sleep" "apis_ready" {
  create_duration = var.propagation_wait

  triggers = {
    apis = join(",", sort([for s in google_project_service.enabled : s.service]))
  }
}
