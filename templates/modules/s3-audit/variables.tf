
variable "name_prefix" {
  description = "Prefix of every generated name: \"<prefix>-<env>\", e.g. \"am-prod\"."
  type = string

  validation {
    condition = can(regex("^[a-z][a-z0-9-]{1,36}$", var.name_prefix))
    error_message = "name_prefix must be lower-case letters, digits and hyphens."
  }
}

variable "account_id" {
  description = "AWS account ID; part of the bucket names, which must be globally unique."
  type = string

  validation {
    condition = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "region" {
  description = "Region of the buckets; part of their names."
  type = string
}

variable "kms_key_arn" {
  description = "ARN of the environment's customer-managed KMS key (bucket encryption)."
  type = string
}

variable "replication_enabled" {
  description = "Replicate every bucket into failover_region (envc: cross-region-replication)."
  type = bool
  default = false
}

variable "failover_region" {
  description = "Region of the replica buckets (provider aws.failover); null when replication is off."
  type = string
  default = null
}

variable "replica_kms_key_arn" {
  description = "ARN of the KMS key in failover_region that encrypts the replica buckets; null when replication is off."
  type = string
  default = null
}

variable "object_lock" {
  description = "S3 Object Lock default retention by envc bucket name; null (or absent) where Object Lock is off."
  type = map(object({
    mode = string
    days = number
  }))
  default = {}
}

check "replication_settings" {
  assert {
    condition = !var.replication_enabled || var.failover_region != null
    error_message = "replication_enabled needs failover_region."
  }
}
