
# The environment: every module of the project, wired together. Names are
# "<prefix>-<env>-<name>"; environment-specific values come from
# terraform.tfvars, the KMS keys from kms.tf, the feature flags from
# parameters.tf, moved and import blocks from state.tf.

locals {
  project = {{ project.name }}
  name_prefix = "{{ project.prefix | in_string }}-${var.env_name}"
{% if project.api %}

  # The API's identity, shared by the api-gateway module (which creates it)
  # and the cloudwatch module (whose alarms and dashboard watch it).
  api_name = "${local.name_prefix}-api"
  api_stage_name = {{ project.api.stage }}
{% endif %}
}

check "environment_contract" {
  assert {
    condition = var.cross_region_replication == (var.failover_region != null)
    error_message = "failover_region must be set exactly when cross_region_replication is on."
  }

  assert {
    condition = var.failover_region != var.region
    error_message = "failover_region must differ from region."
  }

  assert {
    condition = var.tier != "PROD" || var.pitr_enabled
    error_message = "PROD environments must have pitr_enabled = true."
  }
}
{% if "dynamodb" in modules %}

module "dynamodb" {
  source = "../../modules/dynamodb"

  name_prefix = local.name_prefix
  kms_key_arn = aws_kms_key.main.arn
  pitr_enabled = var.pitr_enabled
  deletion_protection = var.deletion_protection
  cross_region_replication = var.cross_region_replication
  failover_region = var.failover_region
  replica_kms_key_arn = {{ ("local.failover_key_arn" if env.cross_region_replication else "null") | safe }}
}
{% endif %}
{% if "s3-audit" in modules %}

module "s3_audit" {
  source = "../../modules/s3-audit"

  providers = {
    aws = aws
    aws.failover = {{ ("aws.failover" if env.cross_region_replication else "aws") | safe }}
  }

  name_prefix = local.name_prefix
  account_id = var.account_id
  region = var.region
  kms_key_arn = aws_kms_key.main.arn
  replication_enabled = var.cross_region_replication
  failover_region = var.failover_region
  replica_kms_key_arn = {{ ("local.failover_key_arn" if env.cross_region_replication else "null") | safe }}
  object_lock = var.object_lock
}
{% endif %}

module "cloudwatch" {
  source = "../../modules/cloudwatch"

  name_prefix = local.name_prefix
  region = var.region
  account_id = var.account_id
  kms_key_arn = aws_kms_key.main.arn
  log_retention_days = var.log_retention_days
  alert_emails = var.alert_emails
{% if project.api %}
  api_name = local.api_name
  api_stage_name = local.api_stage_name
  api_5xx_errors_threshold = var.api_5xx_errors_threshold
  api_latency_p99_ms_threshold = var.api_latency_p99_ms_threshold
{% endif %}
{% if project.tables %}
  dynamodb_throttles_threshold = var.dynamodb_throttles_threshold
  dynamodb_system_errors_threshold = var.dynamodb_system_errors_threshold
{% endif %}
{% for t in project.tables %}
  {{ t.id | ident }}_table_name = module.dynamodb.{{ t.id | ident }}_table_name
{% endfor %}
}
{% if "iam" in modules %}

module "iam" {
  source = "../../modules/iam"

  name_prefix = local.name_prefix
  kms_key_arn = aws_kms_key.main.arn
  traced_functions = [for name, f in var.functions : name if f.tracing == "Active"]
{% for t in project.tables %}
  {{ t.id | ident }}_table_arn = module.dynamodb.{{ t.id | ident }}_table_arn
{% endfor %}
{% for b in project.buckets %}
  {{ b.id | ident }}_bucket_arn = module.s3_audit.{{ b.id | ident }}_bucket_arn
{% endfor %}
{% for f in project.functions %}
  {{ f.id | ident }}_log_group_arn = module.cloudwatch.{{ f.id | ident }}_log_group_arn
{% endfor %}
}
{% endif %}
{% if "lambda" in modules %}

module "lambda" {
  source = "../../modules/lambda"

  name_prefix = local.name_prefix
  account_id = var.account_id
  region = var.region
  kms_key_arn = aws_kms_key.main.arn
  functions = var.functions
{% for f in project.functions %}
  {{ f.id | ident }}_role_arn = module.iam.{{ f.id | ident }}_role_arn
  {{ f.id | ident }}_log_group_name = module.cloudwatch.{{ f.id | ident }}_log_group_name
{% endfor %}
}
{% endif %}
{% if "cognito" in modules %}

module "cognito" {
  source = "../../modules/cognito"

  name_prefix = local.name_prefix
  advanced_security = var.cognito_advanced_security
  deletion_protection = var.deletion_protection
  callback_urls = var.callback_urls
}
{% endif %}
{% if "account" in modules and env.owns_account_settings %}

# This environment owns the settings of its account and region (envc:
# owns-account-settings): apply it before other roots of the same account
# and region.
module "account" {
  source = "../../modules/account"

  name_prefix = local.name_prefix
}
{% endif %}
{% if "api-gateway" in modules %}

module "api_gateway" {
  source = "../../modules/api-gateway"

  name_prefix = local.name_prefix
  api_name = local.api_name
  stage_name = local.api_stage_name
  region = var.region
  account_id = var.account_id
  kms_key_arn = aws_kms_key.main.arn
  log_retention_days = var.log_retention_days
{% if project.api.authorized %}
  user_pool_arn = module.cognito.user_pool_arn
{% endif %}
  access_log_group_arn = module.cloudwatch.api_access_log_group_arn
  waf_log_group_arn = module.cloudwatch.api_waf_log_group_arn
  xray_tracing = var.xray_tracing
  detailed_metrics = var.detailed_metrics

  # The integrations invoke the lambda module's functions, which must exist
  # before their permissions.{% if env.owns_account_settings %} Stages log through the account setting, which
  # must name the role first.{% else %} Stages log through the account setting, owned
  # by another environment of this account and region: apply that one first.{% endif %}

  depends_on = [{% if env.owns_account_settings %}module.account, {% endif %}module.lambda]
}
{% endif %}
