{% for f in project.functions %}

output "{{ f.id | ident }}_log_group_name" {
  description = "Name of the {{ f.name | in_string }} function's log group."
  value = aws_cloudwatch_log_group.{{ f.id | ident }}.name
}

output "{{ f.id | ident }}_log_group_arn" {
  description = "ARN of the {{ f.name | in_string }} function's log group."
  value = aws_cloudwatch_log_group.{{ f.id | ident }}.arn
}
{% endfor %}
{% if project.api %}

output "api_access_log_group_arn" {
  description = "ARN of the API's access log group."
  value = aws_cloudwatch_log_group.api_access.arn
}

output "api_waf_log_group_arn" {
  description = "ARN of the API's WAF log group."
  value = aws_cloudwatch_log_group.api_waf.arn
}
{% endif %}

output "alert_topic_arn" {
  description = "ARN of the alert topic."
  value = aws_sns_topic.alerts.arn
}

output "dashboard_name" {
  description = "Name of the dashboard."
  value = aws_cloudwatch_dashboard.main.dashboard_name
}
