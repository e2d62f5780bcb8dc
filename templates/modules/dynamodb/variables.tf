
variable "name_prefix" {
  description = "Prefix of every generated name: \"<prefix>-<env>\", e.g. \"am-prod\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,36}$", var.name_prefix))
    error_message = "name_prefix must be lower-case letters, digits and hyphens."
  }
}

variable "kms_key_arn" {
  description = "ARN of the environment's customer-managed KMS key (table encryption)."
  type        = string
}

variable "pitr_enabled" {
  description = "Point-in-time recovery of every table."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Deletion protection of every table."
  type        = bool
  default     = true
}

variable "cross_region_replication" {
  description = "Add a global-table replica of every table in failover_region."
  type        = bool
  default     = false
}

variable "failover_region" {
  description = "Region of the replicas; null when cross_region_replication is off."
  type        = string
  default     = null
}

variable "replica_kms_key_arn" {
  description = "ARN of the KMS key in failover_region that encrypts the replicas; null when cross_region_replication is off."
  type        = string
  default     = null
}
