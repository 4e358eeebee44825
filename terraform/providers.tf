provider "google" {
  project = var.project_id
  region  = var.region

  default_labels = {
    app        = "convotic-webhooks"
    managed-by = "terraform"
  }
}

provider "google-beta" {
  project = var.project_id
  region  = var.region
}
