
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

variable "cloudwatch_role_arn" {
  description = "ARN of the role API Gateway writes CloudWatch logs with (iam module)."
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
