
# The environment's customer-managed KMS key (rotation on): it encrypts the
# tables, the buckets, the log groups, the alert topic and the flag
# parameters. Its policy lets the account (and so IAM policies) administer
# and use it, and lets CloudWatch Logs of this region, SNS and CloudWatch
# alarms (publishing to the encrypted alert topic) use it.
#
# The key is created single-Region, and multi_region is ignored afterwards:
# changing it would replace the key and schedule the old one, which encrypts
# everything, for deletion. Earlier versions of envc created the key
# multi-Region when replication was on; such a key keeps its setting.
{% if env.cross_region_replication %}
#
# Replication encrypts the replica tables and buckets with a key in
# failover_region: a key of its own, or, for a key created multi-Region by an
# earlier envc, its replica key (kept, so nothing encrypted with it is lost).
{% endif %}

resource "aws_kms_key" "main" {
  description = "{{ project.name | in_string }} ${var.env_name}: tables, buckets, logs, alerts, parameters"
  enable_key_rotation = true
  deletion_window_in_days = 30
  multi_region = false
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

  lifecycle {
    # Turning multi_region on or off replaces a key: never do it to a key in use.
    ignore_changes = [multi_region]
  }
}

resource "aws_kms_alias" "main" {
  name = "alias/${local.name_prefix}"
  target_key_id = aws_kms_key.main.key_id
}
{% if env.cross_region_replication %}

locals {
  failover_policy = jsonencode({
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

  # The key of the failover region: the replica of a multi-Region key (created
  # by an earlier envc), else a key of its own.
  failover_key_arn = one(concat(aws_kms_replica_key.failover[*].arn, aws_kms_key.failover[*].arn))
  failover_key_id = one(concat(aws_kms_replica_key.failover[*].key_id, aws_kms_key.failover[*].key_id))
}

resource "aws_kms_key" "failover" {
  count = aws_kms_key.main.multi_region ? 0 : 1
  provider = aws.failover

  description = "{{ project.name | in_string }} ${var.env_name}: replica tables and replica buckets"
  enable_key_rotation = true
  deletion_window_in_days = 30
  multi_region = false
  policy = local.failover_policy
}

resource "aws_kms_replica_key" "failover" {
  count = aws_kms_key.main.multi_region ? 1 : 0
  provider = aws.failover

  description = "{{ project.name | in_string }} ${var.env_name}: replica tables and replica buckets"
  primary_key_arn = aws_kms_key.main.arn
  deletion_window_in_days = 30
  policy = local.failover_policy
}

resource "aws_kms_alias" "failover" {
  provider = aws.failover

  name = "alias/${local.name_prefix}"
  target_key_id = local.failover_key_id
}
{% endif %}
