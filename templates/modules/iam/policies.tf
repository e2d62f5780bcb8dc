
# The permissions of each function role of main.tf: its `table` and `bucket`
# grants of envc.kdl (read, write or read-write), the environment KMS key,
# its own log group, and X-Ray write access when its tracing is Active. Every
# ARN is an input wired from the dynamodb, s3-audit and cloudwatch modules.

locals {
  # AWS managed policy: X-Ray's write actions take no resource-level restriction.
  xray_write_policy_arn = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"
}
{% for f in project.functions %}

resource "aws_iam_policy" "{{ f.id | ident }}" {
  name = "${var.name_prefix}-{{ f.name | in_string }}"
  description = "Least-privilege access of the {{ f.name | in_string }} function."
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid = "WriteOwnLogs"
        Effect = "Allow"
        Action = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${var.{{ f.id | ident }}_log_group_arn}:*"]
      },
{% for g in f.tables %}
{% if g.read %}
      {
        Sid = "{{ g.sid | in_string }}TableRead"
        Effect = "Allow"
        Action = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable"]
        Resource = [var.{{ g.id | ident }}_table_arn, "${var.{{ g.id | ident }}_table_arn}/index/*"]
      },
{% endif %}
{% if g.write %}
      {
        Sid = "{{ g.sid | in_string }}TableWrite"
        Effect = "Allow"
        Action = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"]
        Resource = [var.{{ g.id | ident }}_table_arn]
      },
{% endif %}
{% endfor %}
{% for g in f.buckets %}
{% if g.read %}
      {
        Sid = "{{ g.sid | in_string }}BucketList"
        Effect = "Allow"
        Action = ["s3:ListBucket"]
        Resource = [var.{{ g.id | ident }}_bucket_arn]
      },
      {
        Sid = "{{ g.sid | in_string }}BucketRead"
        Effect = "Allow"
        Action = ["s3:GetObject", "s3:GetObjectVersion"]
        Resource = ["${var.{{ g.id | ident }}_bucket_arn}/*"]
      },
{% endif %}
{% if g.write %}
      {
        Sid = "{{ g.sid | in_string }}BucketWrite"
        Effect = "Allow"
        Action = ["s3:PutObject"]
        Resource = ["${var.{{ g.id | ident }}_bucket_arn}/*"]
      },
{% endif %}
{% endfor %}
      {
        Sid = "UseEnvironmentKey"
        Effect = "Allow"
        Action = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = [var.kms_key_arn]
      },
    ]
  })
}

resource "aws_iam_role_policy_attachment" "{{ f.id | ident }}" {
  role = aws_iam_role.{{ f.id | ident }}.name
  policy_arn = aws_iam_policy.{{ f.id | ident }}.arn
}

resource "aws_iam_role_policy_attachment" "{{ f.id | ident }}_xray" {
  count = contains(var.traced_functions, {{ f.name }}) ? 1 : 0

  role = aws_iam_role.{{ f.id | ident }}.name
  policy_arn = local.xray_write_policy_arn
}
{% endfor %}
