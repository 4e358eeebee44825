terraform {
  # terraform_data (checks.tf) needs 1.4; developed and tested with 1.11.
  required_version = ">= 1.4"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
    # Only for google_project_service_identity (the Pub/Sub service agent), which is beta-only.
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "~> 6.0"
    }
    time = {
      source  = "hashicorp/time"
      version = "~> 0.12"
    }
  }

  # Remote state in a GCS bucket that ops create once, outside this configuration
  # (a state bucket must not be managed by the state it holds). Partial
  # configuration: supply the bucket at init time, e.g.
  #   terraform init -backend-config=backend.hcl
  # with backend.hcl copied from backend.hcl.example. GCS state locking is built in.
  backend "gcs" {}
}
