
variable "name_prefix" {
  description = "Prefix of every generated name: \"<prefix>-<env>\", e.g. \"am-prod\"."
  type = string

  validation {
    condition = can(regex("^[a-z][a-z0-9-]{1,36}$", var.name_prefix))
    error_message = "name_prefix must be lower-case letters, digits and hyphens."
  }
}

variable "kms_key_arn" {
  description = "ARN of the environment's customer-managed KMS key."
  type = string

  validation {
    condition = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "traced_functions" {
  description = "envc names of the functions whose tracing is Active: their roles get X-Ray write access."
  type = list(string)
  default = []
}
{% for t in project.tables %}

variable "{{ t.id | ident }}_table_arn" {
  description = "ARN of the {{ t.name | in_string }} table (dynamodb module)."
  type = string

  validation {
    condition = can(regex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/", var.{{ t.id | ident }}_table_arn))
    error_message = "{{ t.id | in_string }}_table_arn must be a DynamoDB table ARN."
  }
}
{% endfor %}
{% for b in project.buckets %}

variable "{{ b.id | ident }}_bucket_arn" {
  description = "ARN of the {{ b.name | in_string }} bucket (s3-audit module)."
  type = string

  validation {
    condition = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]{3,63}$", var.{{ b.id | ident }}_bucket_arn))
    error_message = "{{ b.id | in_string }}_bucket_arn must be an S3 bucket ARN."
  }
}
{% endfor %}
{% for f in project.functions %}

variable "{{ f.id | ident }}_log_group_arn" {
  description = "ARN of the {{ f.name | in_string }} function's log group (cloudwatch module)."
  type = string

  validation {
    condition = can(regex("^arn:aws[a-z-]*:logs:[a-z0-9-]+:[0-9]{12}:log-group:/aws/lambda/", var.{{ f.id | ident }}_log_group_arn))
    error_message = "{{ f.id | in_string }}_log_group_arn must be a Lambda log group ARN."
  }
}
{% endfor %}
