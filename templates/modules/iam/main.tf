
# One least-privilege service role per `function` node of envc.kdl, which the
# function "<prefix>-<env>-<function>" of the lambda module runs with. The
# permissions of each role are in policies.tf. (The role API Gateway writes
# CloudWatch Logs with is an account setting: see the account module.)

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
}
{% for f in project.functions %}

resource "aws_iam_role" "{{ f.id | ident }}" {
  name = "${var.name_prefix}-{{ f.name | in_string }}"
  description = "Service role of the {{ f.name | in_string }} function ({{ f.description | in_string }})."
  assume_role_policy = local.lambda_assume_role_policy
  max_session_duration = 3600
}
{% endfor %}
