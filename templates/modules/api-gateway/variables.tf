
variable "name_prefix" {
  description = "Prefix of every generated name: \"<prefix>-<env>\", e.g. \"am-prod\"."
  type = string

  validation {
    condition = can(regex("^[a-z][a-z0-9-]{1,36}$", var.name_prefix))
    error_message = "name_prefix must be lower-case letters, digits and hyphens."
  }
}

variable "api_name" {
  description = "Name of the REST API, e.g. \"am-prod-api\" (the root's local.api_name, shared with the cloudwatch module's alarms)."
  type = string

  validation {
    condition = can(regex("^[a-zA-Z0-9-]{1,64}$", var.api_name))
    error_message = "api_name must be 1-64 letters, digits and hyphens."
  }
}

variable "stage_name" {
  description = "Name of the stage (envc: api.stage)."
  type = string

  validation {
    condition = can(regex("^[a-zA-Z0-9_]{1,128}$", var.stage_name))
    error_message = "stage_name must be letters, digits and underscores."
  }
}

variable "region" {
  description = "Region of the API and of the Lambda functions it invokes."
  type = string
}

variable "account_id" {
  description = "AWS account ID of the Lambda functions the API invokes."
  type = string

  validation {
    condition = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "kms_key_arn" {
  description = "ARN of the environment's customer-managed KMS key (the execution log group)."
  type = string
}

variable "log_retention_days" {
  description = "Retention of the execution log group, in days."
  type = number

  validation {
    condition = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch Logs' allowed retention values."
  }
}
{% if project.api.authorized %}

variable "user_pool_arn" {
  description = "ARN of the Cognito user pool of the authorizer (cognito module)."
  type = string
}
{% endif %}

variable "access_log_group_arn" {
  description = "ARN of the log group of the stage's access logs (cloudwatch module)."
  type = string
}

variable "waf_log_group_arn" {
  description = "ARN of the log group of the WAF logs; its name starts with \"aws-waf-logs-\" (cloudwatch module)."
  type = string
}

variable "xray_tracing" {
  description = "X-Ray tracing of the stage."
  type = bool
  default = true
}

variable "detailed_metrics" {
  description = "Detailed (per method) CloudWatch metrics of the stage."
  type = bool
  default = true
}
