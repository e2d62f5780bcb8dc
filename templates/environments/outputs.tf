
output "kms_key_arn" {
  description = "ARN of the environment's customer-managed KMS key."
  value = aws_kms_key.main.arn
}
{% if "dynamodb" in modules %}

output "table_arns" {
  description = "Table ARNs by envc table name."
  value = module.dynamodb.table_arns
}
{% endif %}
