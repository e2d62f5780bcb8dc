
variable "name_prefix" {
  description = "Prefix of every generated name: \"<prefix>-<env>\", e.g. \"am-prod\"."
  type = string

  validation {
    condition = can(regex("^[a-z][a-z0-9-]{1,36}$", var.name_prefix))
    error_message = "name_prefix must be lower-case letters, digits and hyphens."
  }
}

variable "region" {
  description = "Region of the environment (dashboard widgets)."
  type = string
}

variable "account_id" {
  description = "AWS account ID (alert topic policy)."
  type = string

  validation {
    condition = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "kms_key_arn" {
  description = "ARN of the environment's customer-managed KMS key (log groups and alert topic)."
  type = string
}

variable "log_retention_days" {
  description = "Retention of every log group, in days."
  type = number

  validation {
    condition = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch Logs' allowed retention values."
  }
}

variable "alert_emails" {
  description = "E-mail addresses subscribed to the alert topic."
  type = list(string)
  default = []

  validation {
    condition = alltrue([for e in var.alert_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "alert_emails must be e-mail addresses."
  }
}
{% if project.api %}

variable "api_name" {
  description = "Name of the REST API (the root's local.api_name, shared with the api-gateway module)."
  type = string
}

variable "api_stage_name" {
  description = "Stage of the REST API (the root's local.api_stage_name, shared with the api-gateway module)."
  type = string
}

variable "api_5xx_errors_threshold" {
  description = "API 5XX responses in 5 minutes that raise the alarm."
  type = number

  validation {
    condition = var.api_5xx_errors_threshold > 0
    error_message = "api_5xx_errors_threshold must be positive."
  }
}

variable "api_latency_p99_ms_threshold" {
  description = "API p99 latency, in milliseconds, above which the alarm is raised."
  type = number

  validation {
    condition = var.api_latency_p99_ms_threshold > 0
    error_message = "api_latency_p99_ms_threshold must be positive."
  }
}
{% endif %}
{% if project.tables %}

variable "dynamodb_throttles_threshold" {
  description = "Throttle events of a table in 5 minutes that raise the alarm."
  type = number

  validation {
    condition = var.dynamodb_throttles_threshold > 0
    error_message = "dynamodb_throttles_threshold must be positive."
  }
}

variable "dynamodb_system_errors_threshold" {
  description = "System errors of a table in 5 minutes that raise the alarm."
  type = number

  validation {
    condition = var.dynamodb_system_errors_threshold > 0
    error_message = "dynamodb_system_errors_threshold must be positive."
  }
}
{% endif %}
{% for t in project.tables %}

variable "{{ t.id | ident }}_table_name" {
  description = "Name of the {{ t.name | in_string }} table (dynamodb module)."
  type = string
}
{% endfor %}
