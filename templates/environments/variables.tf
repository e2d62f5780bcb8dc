
variable "env_name" {
  description = "Environment name (the environment file's stem)."
  type = string
}

variable "region" {
  description = "AWS region of the environment."
  type = string
}

variable "pitr_enabled" {
  description = "Point-in-time recovery of every table."
  type = bool
}

variable "cross_region_replication" {
  description = "DynamoDB replicas and audit bucket replication into failover_region."
  type = bool
}

variable "failover_region" {
  description = "Region of the replicas; null when cross_region_replication is off."
  type = string
  default = null
}

variable "deletion_protection" {
  description = "Deletion protection of tables and the user pool."
  type = bool
}

variable "tags" {
  description = "Tags of every resource (provider default_tags)."
  type = map(string)
}
