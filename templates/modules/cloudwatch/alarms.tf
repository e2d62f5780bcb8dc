
# Alarms (envc.kdl `alarms`, thresholds overridable per environment): 5XX
# errors and p99 latency of the API stage, and per table DynamoDB throttled
# requests (read + write throttle events) and system errors (a Metrics
# Insights query summing every operation of the table). Every alarm notifies
# the alert topic of sns.tf, on alarm and on recovery.
{% if project.api %}

resource "aws_cloudwatch_metric_alarm" "api_5xx_errors" {
  alarm_name = "${var.name_prefix}-api-5xx-errors"
  alarm_description = "API ${var.api_name} (stage ${var.api_stage_name}) returned at least ${var.api_5xx_errors_threshold} 5XX responses in 5 minutes."
  namespace = "AWS/ApiGateway"
  metric_name = "5XXError"
  statistic = "Sum"
  period = 300
  evaluation_periods = 1
  threshold = var.api_5xx_errors_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data = "notBreaching"
  alarm_actions = [aws_sns_topic.alerts.arn]
  ok_actions = [aws_sns_topic.alerts.arn]

  dimensions = {
    ApiName = var.api_name
    Stage = var.api_stage_name
  }
}

resource "aws_cloudwatch_metric_alarm" "api_latency_p99" {
  alarm_name = "${var.name_prefix}-api-latency-p99"
  alarm_description = "p99 latency of API ${var.api_name} (stage ${var.api_stage_name}) above ${var.api_latency_p99_ms_threshold} ms for 15 minutes."
  namespace = "AWS/ApiGateway"
  metric_name = "Latency"
  extended_statistic = "p99"
  period = 300
  evaluation_periods = 3
  threshold = var.api_latency_p99_ms_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data = "notBreaching"
  alarm_actions = [aws_sns_topic.alerts.arn]
  ok_actions = [aws_sns_topic.alerts.arn]

  dimensions = {
    ApiName = var.api_name
    Stage = var.api_stage_name
  }
}
{% endif %}
{% for t in project.tables %}

resource "aws_cloudwatch_metric_alarm" "{{ t.id | ident }}_throttles" {
  alarm_name = "${var.name_prefix}-{{ t.name | in_string }}-throttles"
  alarm_description = "Table ${var.{{ t.id | ident }}_table_name} throttled at least ${var.dynamodb_throttles_threshold} requests in 5 minutes."
  evaluation_periods = 1
  threshold = var.dynamodb_throttles_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data = "notBreaching"
  alarm_actions = [aws_sns_topic.alerts.arn]
  ok_actions = [aws_sns_topic.alerts.arn]

  metric_query {
    id = "throttles"
    expression = "FILL(reads, 0) + FILL(writes, 0)"
    label = "Throttle events"
    return_data = true
  }

  metric_query {
    id = "reads"

    metric {
      namespace = "AWS/DynamoDB"
      metric_name = "ReadThrottleEvents"
      stat = "Sum"
      period = 300
      dimensions = { TableName = var.{{ t.id | ident }}_table_name }
    }
  }

  metric_query {
    id = "writes"

    metric {
      namespace = "AWS/DynamoDB"
      metric_name = "WriteThrottleEvents"
      stat = "Sum"
      period = 300
      dimensions = { TableName = var.{{ t.id | ident }}_table_name }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "{{ t.id | ident }}_system_errors" {
  alarm_name = "${var.name_prefix}-{{ t.name | in_string }}-system-errors"
  alarm_description = "Table ${var.{{ t.id | ident }}_table_name} returned at least ${var.dynamodb_system_errors_threshold} system errors in 5 minutes."
  evaluation_periods = 1
  threshold = var.dynamodb_system_errors_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data = "notBreaching"
  alarm_actions = [aws_sns_topic.alerts.arn]
  ok_actions = [aws_sns_topic.alerts.arn]

  metric_query {
    id = "errors"
    expression = "SELECT SUM(SystemErrors) FROM SCHEMA(\"AWS/DynamoDB\", Operation, TableName) WHERE TableName = '${var.{{ t.id | ident }}_table_name}'"
    label = "System errors"
    period = 300
    return_data = true
  }
}
{% endfor %}
