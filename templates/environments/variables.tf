
variable "env_name" {
  description = "Name of the environment (the stem of its envc file)."
  type = string

  validation {
    condition = can(regex("^[a-z][a-z0-9-]{0,15}$", var.env_name))
    error_message = "env_name must match ^[a-z][a-z0-9-]{0,15}$."
  }
}

variable "tier" {
  description = "Tier of the environment."
  type = string

  validation {
    condition = contains(["DEV", "SIT", "UAT", "STAGING", "PROD"], var.tier)
    error_message = "tier must be DEV, SIT, UAT, STAGING or PROD."
  }
}

variable "region" {
  description = "AWS region of the environment."
  type = string

  validation {
    condition = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region code, e.g. eu-west-1."
  }
}

variable "account_id" {
  description = "AWS account the environment lives in; the providers refuse any other."
  type = string

  validation {
    condition = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "pitr_enabled" {
  description = "Point-in-time recovery of every DynamoDB table."
  type = bool
  default = true
}

variable "cross_region_replication" {
  description = "DynamoDB global-table replicas and S3 bucket replication into failover_region."
  type = bool
  default = false
}

variable "failover_region" {
  description = "Region of the replicas; null when cross_region_replication is off."
  type = string
  default = null

  validation {
    condition = var.failover_region == null ? true : can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.failover_region))
    error_message = "failover_region must be null or an AWS region code, e.g. eu-west-1."
  }
}

variable "deletion_protection" {
  description = "Deletion protection of the tables and the user pool (envc: features.deletion-protection)."
  type = bool
  default = true
}

variable "xray_tracing" {
  description = "X-Ray tracing of the API stage and X-Ray write access for the functions (envc: features.xray-tracing)."
  type = bool
  default = false
}

variable "cognito_advanced_security" {
  description = "Cognito advanced security in ENFORCED mode (envc: features.cognito-advanced-security)."
  type = bool
  default = false
}

variable "detailed_metrics" {
  description = "Detailed CloudWatch metrics of the API stage (envc: features.detailed-metrics)."
  type = bool
  default = true
}

variable "log_retention_days" {
  description = "Retention of every log group, in days (envc: log-retention-days)."
  type = number
}

variable "tags" {
  description = "Tags of every resource (provider default_tags): the project's, then the environment's, then environment = <env>."
  type = map(string)
  default = {}
}

variable "flags" {
  description = "Application feature flags, published as SSM parameters (values as strings)."
  type = map(string)
  default = {}
}

variable "alert_emails" {
  description = "E-mail addresses subscribed to the alert topic."
  type = list(string)
  default = []
}

variable "api_5xx_errors_threshold" {
  description = "API 5XX responses in 5 minutes that raise the alarm."
  type = number
}

variable "api_latency_p99_ms_threshold" {
  description = "API p99 latency, in milliseconds, above which the alarm is raised."
  type = number
}

variable "dynamodb_throttles_threshold" {
  description = "Throttle events of a table in 5 minutes that raise the alarm."
  type = number
}

variable "dynamodb_system_errors_threshold" {
  description = "System errors of a table in 5 minutes that raise the alarm."
  type = number
}

variable "functions" {
  description = "Settings of every function in this environment, by envc function name (envc: function {})."
  type = map(object({
    memory_size = number
    timeout = number
    reserved_concurrency = number
    tracing = string
    environment = map(string)
  }))
  default = {}
}

variable "object_lock" {
  description = "S3 Object Lock default retention of every bucket, by envc bucket name; null where Object Lock is off (envc: object-lock)."
  type = map(object({
    mode = string
    days = number
  }))
  default = {}

  validation {
    condition = alltrue([for l in values(var.object_lock) : l == null ? true : contains(["GOVERNANCE", "COMPLIANCE"], l.mode) && l.days >= 1])
    error_message = "object_lock entries must be null or { mode = GOVERNANCE or COMPLIANCE, days >= 1 }."
  }
}

variable "callback_urls" {
  description = "OAuth callback URLs of the app clients that have them, by envc client name (envc: callback-urls)."
  type = map(list(string))
  default = {}
}
