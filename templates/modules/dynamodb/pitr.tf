
# Recovery and durability settings shared by every table in main.tf:
# point-in-time recovery (envc: pitr, always on for PROD), deletion
# protection (envc: features.deletion-protection) and the global-table
# replica in the failover region (envc: cross-region-replication). Replicas
# get PITR and the failover-region KMS key as well.

locals {
  pitr_enabled                = var.pitr_enabled
  deletion_protection_enabled = var.deletion_protection
  replica_regions             = var.cross_region_replication ? [var.failover_region] : []
}

check "replication_settings" {
  assert {
    condition     = !var.cross_region_replication || var.failover_region != null
    error_message = "cross_region_replication needs failover_region."
  }
}
