# Native mode (default) database. If the project already has one (created in
# the console, or by App Engine), import it instead of creating:
#   terraform import google_firestore_database.main "projects/PROJECT/databases/(default)"
resource "google_firestore_database" "main" {
  project     = var.project_id
  name        = "(default)"
  location_id = coalesce(var.firestore_location, var.region)
  type        = "FIRESTORE_NATIVE"

  app_engine_integration_mode = "DISABLED"
  delete_protection_state     = var.firestore_delete_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  # terraform destroy leaves the data alone; deleting a database is a human decision.
  deletion_policy = "ABANDON"

  depends_on = [google_project_service.enabled]
}

# Per-Block secrets (LINE channel secrets, Telegram secret tokens) in a
# database of their own: Firestore IAM grants whole databases, so only the
# functions with `block_secrets: true` are granted this one (iam.tf).
resource "google_firestore_database" "block_secrets" {
  project     = var.project_id
  name        = local.block_secrets_database
  location_id = coalesce(var.firestore_location, var.region)
  type        = "FIRESTORE_NATIVE"

  delete_protection_state = var.firestore_delete_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  deletion_policy         = "ABANDON"

  depends_on = [google_project_service.enabled]
}

# TTL policies from topology.json (the event log's expire_at: entries are
# deleted, typically within a day, after that time passes).
resource "google_firestore_field" "ttl" {
  for_each = local.ttl_fields

  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = each.value.collection_group
  field      = each.value.field

  ttl_config {}

  # No single-field indexes on the TTL timestamp: nothing queries it, and an
  # index on a steadily increasing value hotspots writes.
  index_config {}
}

# Composite indexes from topology.json. COLLECTION scope on a collection id
# covers every collection with that id, e.g. workspaces/{ws}/event_log.
# A field has either an order or, for an array-contains filter (the unrouted
# events' accounts), array_config = "CONTAINS"; the other one is null.
resource "google_firestore_index" "composite" {
  for_each = local.composite_indexes

  project     = var.project_id
  database    = google_firestore_database.main.name
  collection  = each.value.collection_group
  query_scope = each.value.query_scope

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path   = fields.value.field_path
      order        = try(fields.value.order, null)
      array_config = try(fields.value.array_config, null)
    }
  }
}
