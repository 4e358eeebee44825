# Native mode (default) database. If the project already has one (created in
# the console, or by App Engine), import it instead of creating:
#   terraform import google_firestore_database.main "projects/PROJECT/databases/(default)"
resource "google_firestore_database" "main" {
  project     = var.project_id
  name        = "(default)"
  location_id = coalesce(var.firestore_location, var.region)
  type        = "FIRESTORE_NATIVE"

  app_engine_integration_mode       = "DISABLED"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = var.firestore_delete_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  # terraform destroy leaves the data alone; deleting a database is a human decision.
  deletion_policy = "ABANDON"

  depends_on = [time_sleep.apis_ready]
}

# Per-Block secrets (LINE channel secrets, Telegram secret tokens) in a
# database of their own: Firestore IAM grants whole databases, so only the
# functions with `firestore.block_secrets` are granted this one (iam.tf).
resource "google_firestore_database" "block_secrets" {
  project     = var.project_id
  name        = local.block_secrets_database
  location_id = coalesce(var.firestore_location, var.region)
  type        = "FIRESTORE_NATIVE"

  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = var.firestore_delete_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  deletion_policy                   = "ABANDON"

  depends_on = [time_sleep.apis_ready]
}

# Recovery: point-in-time recovery (above) reads any minute of the last 7 days;
# a daily backup of each database keeps var.firestore_backup_retention_days.
resource "google_firestore_backup_schedule" "daily" {
  for_each = {
    default       = google_firestore_database.main.name
    block_secrets = google_firestore_database.block_secrets.name
  }

  project   = var.project_id
  database  = each.value
  retention = "${var.firestore_backup_retention_days * 86400}s"

  daily_recurrence {}
}

# The fields with settings of their own, from topology.json, each once: the TTL
# fields (the event log's expire_at: entries are deleted, typically within a
# day, after that time passes) and the index exemptions. None keeps its
# automatic single-field indexes: no query filters or orders on them
# (test/firestore/indexes.test.ts), and an indexed, steadily increasing value
# such as a timestamp would cap its collection at 500 writes a second.
resource "google_firestore_field" "single_field" {
  for_each = local.firestore_fields

  project    = var.project_id
  database   = google_firestore_database.main.name
  collection = each.value.collection_group
  field      = each.value.field

  dynamic "ttl_config" {
    for_each = each.value.ttl ? [each.key] : []
    content {}
  }

  index_config {}
}

# Before the exemptions this resource held the TTL fields only (same keys).
moved {
  from = google_firestore_field.ttl
  to   = google_firestore_field.single_field
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

  # A TTL policy or an exemption rewrites the single-field index settings of its
  # collection; building composite indexes on the same collections at the same
  # time gets 409s from Firestore. Fields first, then indexes.
  depends_on = [google_firestore_field.single_field]
}
