
# One least-privilege service role per `function` node of envc.kdl (the
# functions themselves are deployed elsewhere, as "<prefix>-<env>-<function>"){% if project.api %},
# plus the role API Gateway writes its CloudWatch logs with{% endif %}. The
# permissions of each function role are in policies.tf.

locals {
  lambda_assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid = "LambdaAssumeRole"
        Effect = "Allow"
        Principal = { Service = "lambda.amazonaws.com" }
        Action = "sts:AssumeRole"
      },
    ]
  })
{% if project.api %}

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
{% endif %}
}
{% for f in project.functions %}

resource "aws_iam_role" "{{ f.id | ident }}" {
  name = "${var.name_prefix}-{{ f.name | in_string }}"
  description = "Service role of the {{ f.name | in_string }} function ({{ f.description | in_string }})."
  assume_role_policy = local.lambda_assume_role_policy
  max_session_duration = 3600
}
{% endfor %}
{% if project.api %}

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
{% endif %}
