
# The alert topic: encrypted with the environment KMS key; its policy lets
# CloudWatch alarms of this account publish (the account's own principals are
# governed by their IAM policies). One e-mail subscription per address of the
# environment's alert-emails (subscriptions stay pending until confirmed).

resource "aws_sns_topic" "alerts" {
  name = "${var.name_prefix}-alerts"
  kms_master_key_id = var.kms_key_arn
}

resource "aws_sns_topic_policy" "alerts" {
  arn = aws_sns_topic.alerts.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid = "CloudWatchAlarmsPublish"
        Effect = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action = "sns:Publish"
        Resource = aws_sns_topic.alerts.arn
        Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }
      },
    ]
  })
}

resource "aws_sns_topic_subscription" "alert_emails" {
  for_each = toset(var.alert_emails)

  topic_arn = aws_sns_topic.alerts.arn
  protocol = "email"
  endpoint = each.value
}
