
# One dashboard per environment, one row of two widgets per part of the
# project: API traffic, errors and latency; DynamoDB throttling and consumed
# capacity per table; Lambda invocations, errors and duration per function.
# Built with jsonencode so that Terraform checks it.
{% if project.api %}

locals {
  dashboard_api_dimensions = ["ApiName", var.api_name, "Stage", var.api_stage_name]
}
{% endif %}

resource "aws_cloudwatch_dashboard" "main" {
  dashboard_name = "${var.name_prefix}-overview"
  dashboard_body = jsonencode({
    widgets = [
{% if project.api %}
      {
        type = "metric"
        x = 0
        y = 0
        width = 12
        height = 6
        properties = {
          title = "API requests and errors"
          region = var.region
          view = "timeSeries"
          stat = "Sum"
          period = 300
          metrics = [
            concat(["AWS/ApiGateway", "Count"], local.dashboard_api_dimensions),
            concat(["AWS/ApiGateway", "4XXError"], local.dashboard_api_dimensions),
            concat(["AWS/ApiGateway", "5XXError"], local.dashboard_api_dimensions),
          ]
        }
      },
      {
        type = "metric"
        x = 12
        y = 0
        width = 12
        height = 6
        properties = {
          title = "API latency"
          region = var.region
          view = "timeSeries"
          period = 300
          metrics = [
            concat(["AWS/ApiGateway", "Latency"], local.dashboard_api_dimensions, [{ stat = "p50" }]),
            concat(["AWS/ApiGateway", "Latency"], local.dashboard_api_dimensions, [{ stat = "p99" }]),
          ]
          annotations = {
            horizontal = [{ label = "p99 alarm", value = var.api_latency_p99_ms_threshold }]
          }
        }
      },
{% endif %}
{% if project.tables %}
      {
        type = "metric"
        x = 0
        y = {{ 6 if project.api else 0 }}
        width = 12
        height = 6
        properties = {
          title = "DynamoDB throttle events"
          region = var.region
          view = "timeSeries"
          stat = "Sum"
          period = 300
          metrics = [
{% for t in project.tables %}
            ["AWS/DynamoDB", "ReadThrottleEvents", "TableName", var.{{ t.id | ident }}_table_name],
            ["AWS/DynamoDB", "WriteThrottleEvents", "TableName", var.{{ t.id | ident }}_table_name],
{% endfor %}
          ]
        }
      },
      {
        type = "metric"
        x = 12
        y = {{ 6 if project.api else 0 }}
        width = 12
        height = 6
        properties = {
          title = "DynamoDB consumed capacity"
          region = var.region
          view = "timeSeries"
          stat = "Sum"
          period = 300
          metrics = [
{% for t in project.tables %}
            ["AWS/DynamoDB", "ConsumedReadCapacityUnits", "TableName", var.{{ t.id | ident }}_table_name],
            ["AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName", var.{{ t.id | ident }}_table_name],
{% endfor %}
          ]
        }
      },
{% endif %}
{% if project.functions %}
      {
        type = "metric"
        x = 0
        y = {{ (6 if project.api else 0) + (6 if project.tables else 0) }}
        width = 12
        height = 6
        properties = {
          title = "Lambda invocations and errors"
          region = var.region
          view = "timeSeries"
          stat = "Sum"
          period = 300
          metrics = [
{% for f in project.functions %}
            ["AWS/Lambda", "Invocations", "FunctionName", "${var.name_prefix}-{{ f.name | in_string }}"],
            ["AWS/Lambda", "Errors", "FunctionName", "${var.name_prefix}-{{ f.name | in_string }}"],
{% endfor %}
          ]
        }
      },
      {
        type = "metric"
        x = 12
        y = {{ (6 if project.api else 0) + (6 if project.tables else 0) }}
        width = 12
        height = 6
        properties = {
          title = "Lambda duration p99"
          region = var.region
          view = "timeSeries"
          stat = "p99"
          period = 300
          metrics = [
{% for f in project.functions %}
            ["AWS/Lambda", "Duration", "FunctionName", "${var.name_prefix}-{{ f.name | in_string }}"],
{% endfor %}
          ]
        }
      },
{% endif %}
    ]
  })
}
