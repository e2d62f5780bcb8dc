
output "rest_api_id" {
  description = "ID of the REST API."
  value = aws_api_gateway_rest_api.this.id
}

output "rest_api_name" {
  description = "Name of the REST API."
  value = aws_api_gateway_rest_api.this.name
}

output "execution_arn" {
  description = "Execution ARN of the REST API."
  value = aws_api_gateway_rest_api.this.execution_arn
}

output "stage_name" {
  description = "Name of the stage."
  value = aws_api_gateway_stage.this.stage_name
}

output "stage_arn" {
  description = "ARN of the stage."
  value = aws_api_gateway_stage.this.arn
}

output "invoke_url" {
  description = "Base URL of the stage."
  value = aws_api_gateway_stage.this.invoke_url
}

output "web_acl_arn" {
  description = "ARN of the WAF web ACL in front of the stage."
  value = aws_wafv2_web_acl.api.arn
}

output "execution_log_group_name" {
  description = "Name of the log group of the stage's execution logs."
  value = aws_cloudwatch_log_group.execution.name
}
