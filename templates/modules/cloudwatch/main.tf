
# Log groups, created here so that their retention and KMS encryption are
# envc's, not the services' defaults: one per `function` of envc.kdl
# ("/aws/lambda/<prefix>-<env>-<function>"){% if project.api %}, one for the API's access logs and
# one for its WAF logs (WAF requires the "aws-waf-logs-" prefix){% endif %}. Alarms are
# in alarms.tf, the dashboard in dashboards.tf, the alert topic in sns.tf.
{% for f in project.functions %}

resource "aws_cloudwatch_log_group" "{{ f.id | ident }}" {
  name = "/aws/lambda/${var.name_prefix}-{{ f.name | in_string }}"
  retention_in_days = var.log_retention_days
  kms_key_id = var.kms_key_arn
}
{% endfor %}
{% if project.api %}

resource "aws_cloudwatch_log_group" "api_access" {
  name = "/aws/apigateway/${var.api_name}/access"
  retention_in_days = var.log_retention_days
  kms_key_id = var.kms_key_arn
}

resource "aws_cloudwatch_log_group" "api_waf" {
  name = "aws-waf-logs-${var.api_name}"
  retention_in_days = var.log_retention_days
  kms_key_id = var.kms_key_arn
}
{% endif %}
