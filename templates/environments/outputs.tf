
output "name_prefix" {
  description = "Prefix of every generated name."
  value = local.name_prefix
}

output "kms_key_arn" {
  description = "ARN of the environment's KMS key."
  value = aws_kms_key.main.arn
}
{% if env.cross_region_replication %}

output "replica_kms_key_arn" {
  description = "ARN of the KMS key in the failover region (replica tables and buckets)."
  value = local.failover_key_arn
}
{% endif %}
{% if "dynamodb" in modules %}

output "table_names" {
  description = "DynamoDB table names by envc table name."
  value = module.dynamodb.table_names
}

output "table_arns" {
  description = "DynamoDB table ARNs by envc table name."
  value = module.dynamodb.table_arns
}
{% endif %}
{% if "s3-audit" in modules %}

output "bucket_names" {
  description = "Bucket names by envc bucket name."
  value = module.s3_audit.bucket_names
}

output "replica_bucket_names" {
  description = "Replica bucket names by envc bucket name; empty when replication is off."
  value = module.s3_audit.replica_bucket_names
}
{% endif %}
{% if "iam" in modules %}

output "role_arns" {
  description = "Lambda service role ARNs by envc function name."
  value = module.iam.role_arns
}

output "policy_arns" {
  description = "Lambda service policy ARNs by envc function name."
  value = module.iam.policy_arns
}
{% endif %}
{% if "lambda" in modules %}

output "function_names" {
  description = "Lambda function names by envc function name."
  value = module.lambda.function_names
}

output "package_bucket_name" {
  description = "Bucket of the functions' deployment packages."
  value = module.lambda.package_bucket_name
}
{% endif %}
{% if "api-gateway" in modules %}

output "api_invoke_url" {
  description = "Base URL of the API stage."
  value = module.api_gateway.invoke_url
}
{% endif %}
{% if "cognito" in modules %}

output "user_pool_id" {
  description = "ID of the Cognito user pool."
  value = module.cognito.user_pool_id
}

output "user_pool_client_ids" {
  description = "Cognito app client IDs by envc client name."
  value = module.cognito.client_ids
}
{% endif %}

output "alert_topic_arn" {
  description = "ARN of the alert topic."
  value = module.cloudwatch.alert_topic_arn
}

output "flag_parameter_names" {
  description = "SSM parameter names of the feature flags."
  value = { for name, parameter in aws_ssm_parameter.flags : name => parameter.name }
}
