# App-level secrets only: one per name in the functions' `secrets` lists in
# topology.json. They are created empty; ops add versions (see the Deploy docs)
# and pin them with var.secret_versions. Terraform never holds a secret value.
#
# Per-Block secrets (LINE channel secrets, Telegram secret tokens) are not here:
# the Block connection service writes them to block_secrets/{block_id} in the
# Firestore database of their own (firestore.tf, shared/contracts/blocks.ts), which only
# the functions with `firestore.block_secrets` in topology.json may read (iam.tf).
resource "google_secret_manager_secret" "app" {
  for_each = local.app_secrets

  project   = var.project_id
  secret_id = local.secret_ids[each.key]

  labels = {
    env-var = lower(replace(each.key, "_", "-"))
  }

  replication {
    auto {}
  }

  depends_on = [time_sleep.apis_ready]
}
