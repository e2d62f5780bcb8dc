
variable "name_prefix" {
  description = "Prefix of every generated name: \"<prefix>-<env>\", e.g. \"am-prod\"."
  type = string

  validation {
    condition = can(regex("^[a-z][a-z0-9-]{1,36}$", var.name_prefix))
    error_message = "name_prefix must be lower-case letters, digits and hyphens."
  }
}

variable "account_id" {
  description = "AWS account ID; part of the package bucket's name, which must be globally unique."
  type = string

  validation {
    condition = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "region" {
  description = "Region of the functions and of the package bucket; part of the bucket's name."
  type = string
}

variable "kms_key_arn" {
  description = "ARN of the environment's customer-managed KMS key (environment variables, package bucket)."
  type = string
}

variable "functions" {
  description = "Per-environment settings of every function, by envc function name (envc: function {} of envc.kdl and of the environment)."
  type = map(object({
    memory_size = number
    timeout = number
    reserved_concurrency = number
    tracing = string
    environment = map(string)
  }))

  validation {
    condition = alltrue([for f in values(var.functions) : f.memory_size >= 128 && f.memory_size <= 10240 && f.timeout >= 1 && f.timeout <= 900])
    error_message = "memory_size must be 128-10240 MB and timeout 1-900 s."
  }

  validation {
    condition = alltrue([for f in values(var.functions) : contains(["Active", "PassThrough"], f.tracing)])
    error_message = "tracing must be Active or PassThrough."
  }
}
{% for f in project.functions %}

variable "{{ f.id | ident }}_role_arn" {
  description = "ARN of the {{ f.name | in_string }} function's service role (iam module)."
  type = string
}

variable "{{ f.id | ident }}_log_group_name" {
  description = "Name of the {{ f.name | in_string }} function's log group (cloudwatch module)."
  type = string
}
{% endfor %}
