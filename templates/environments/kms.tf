
# The environment's customer-managed KMS key (rotation on): it encrypts the
# tables, the buckets, the log groups, the alert topic and the flag
# parameters. Its policy lets the account (and so IAM policies) administer
# and use it, and lets CloudWatch Logs of this region, SNS and CloudWatch
# alarms (publishing to the encrypted alert topic) use it.
{% if env.cross_region_replication %}
# With cross-region replication the key is multi-Region and has a replica
# in failover_region for the DynamoDB replicas and the replica buckets.
{% endif %}

resource "aws_kms_key" "main" {
  description = "{{ project.name | in_string }} ${var.env_name}: tables, buckets, logs, alerts, parameters"
  enable_key_rotation = true
  deletion_window_in_days = 30
  multi_region = var.cross_region_replication
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid = "AccountAdministersKey"
        Effect = "Allow"
        Principal = { AWS = "arn:aws:iam::${var.account_id}:root" }
        Action = "kms:*"
        Resource = "*"
      },
      {
        Sid = "CloudWatchLogsUseKey"
        Effect = "Allow"
        Principal = { Service = "logs.${var.region}.amazonaws.com" }
        Action = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource = "*"
        Condition = { ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:aws:logs:${var.region}:${var.account_id}:log-group:*" } }
      },
      {
        Sid = "SnsUseKey"
        Effect = "Allow"
        Principal = { Service = "sns.amazonaws.com" }
        Action = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }
      },
      {
        Sid = "CloudWatchAlarmsUseKey"
        Effect = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }
      },
    ]
  })
}

resource "aws_kms_alias" "main" {
  name = "alias/${local.name_prefix}"
  target_key_id = aws_kms_key.main.key_id
}
{% if env.cross_region_replication %}

resource "aws_kms_replica_key" "failover" {
  provider = aws.failover

  description = "{{ project.name | in_string }} ${var.env_name}: replica tables and replica buckets"
  primary_key_arn = aws_kms_key.main.arn
  deletion_window_in_days = 30
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid = "AccountAdministersKey"
        Effect = "Allow"
        Principal = { AWS = "arn:aws:iam::${var.account_id}:root" }
        Action = "kms:*"
        Resource = "*"
      },
    ]
  })
}

resource "aws_kms_alias" "failover" {
  provider = aws.failover

  name = "alias/${local.name_prefix}"
  target_key_id = aws_kms_replica_key.failover.key_id
}
{% endif %}
