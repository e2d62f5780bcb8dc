
# Settings that exist once per AWS account and region, whichever service or
# environment uses them. Only the root of the environment that owns them
# (envc: owns-account-settings, on unless turned off; two environments in one
# account and region cannot both own them) instantiates this module, so no two
# roots fight over them. Today that is API Gateway's account setting: the role
# API Gateway writes CloudWatch Logs with, which every REST API stage of the
# account and region that logs needs. Apply the owning root first.

locals {
  api_gateway_assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid = "ApiGatewayAssumeRole"
        Effect = "Allow"
        Principal = { Service = "apigateway.amazonaws.com" }
        Action = "sts:AssumeRole"
      },
    ]
  })
}

resource "aws_iam_role" "api_gateway_cloudwatch" {
  name = "${var.name_prefix}-api-gateway-cloudwatch"
  description = "Lets API Gateway write execution and access logs to CloudWatch Logs."
  assume_role_policy = local.api_gateway_assume_role_policy
  max_session_duration = 3600
}

resource "aws_iam_role_policy_attachment" "api_gateway_cloudwatch" {
  role = aws_iam_role.api_gateway_cloudwatch.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

# Destroying this resource leaves the account setting in place (the AWS
# provider only forgets it): API Gateway has no way to unset the role.
resource "aws_api_gateway_account" "this" {
  cloudwatch_role_arn = aws_iam_role.api_gateway_cloudwatch.arn

  depends_on = [aws_iam_role_policy_attachment.api_gateway_cloudwatch]
}
