
output "api_gateway_cloudwatch_role_arn" {
  description = "ARN of the role API Gateway writes CloudWatch Logs with, once the account setting names it."
  value = aws_api_gateway_account.this.cloudwatch_role_arn
}
