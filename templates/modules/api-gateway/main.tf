{% set api = project.api %}

# The REST API of envc.kdl's `api`: a REGIONAL API{% if api.authorized %} with a Cognito user-pool
# authorizer{% endif %}, a request validator and a client certificate; a deployment that
# is replaced (create before destroy) whenever a resource, method or
# integration is replaced; the stage with access logs, X-Ray and method
# settings (metrics, logging, throttling), and the log group of its execution
# logs, created before the stage writes to it; a WAF web ACL in front of the
# stage (AWS managed rule groups and a per-IP rate limit), logging to
# CloudWatch Logs. The resource tree and methods are in routes.tf, the Lambda
# integrations in integrations.tf. The role API Gateway logs with is an
# account setting (the account module of the root that owns it).

resource "aws_api_gateway_rest_api" "this" {
  name = var.api_name
  description = "{{ api.description | in_string }} (${var.name_prefix})."

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  lifecycle {
    create_before_destroy = true
  }
}
{% if api.authorized %}

resource "aws_api_gateway_authorizer" "cognito" {
  name = "${var.name_prefix}-cognito"
  rest_api_id = aws_api_gateway_rest_api.this.id
  type = "COGNITO_USER_POOLS"
  provider_arns = [var.user_pool_arn]
  identity_source = "method.request.header.Authorization"
}
{% endif %}

resource "aws_api_gateway_request_validator" "this" {
  name = "${var.name_prefix}-validate-request"
  rest_api_id = aws_api_gateway_rest_api.this.id
  validate_request_body = true
  validate_request_parameters = true
}

resource "aws_api_gateway_client_certificate" "this" {
  description = "Client certificate of the ${var.api_name} stage (lets back ends verify that calls come from API Gateway)."
}

# The log group API Gateway writes the stage's execution logs to (logging
# level INFO in the method settings). API Gateway would create it on the first
# request, without retention or KMS key; here it has both, before the stage.
resource "aws_cloudwatch_log_group" "execution" {
  name = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this.id}/${var.stage_name}"
  retention_in_days = var.log_retention_days
  kms_key_id = var.kms_key_arn
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  description = "Managed by envc."

  triggers = {
    redeployment = sha1(jsonencode([
{% if api.authorized %}
      aws_api_gateway_authorizer.cognito.id,
{% endif %}
      aws_api_gateway_request_validator.this.id,
{% for res in api.resources %}
      aws_api_gateway_resource.{{ res.id | ident }}.id,
{% endfor %}
{% for r in api.routes %}
      aws_api_gateway_method.{{ r.id | ident }}.id,
{% endfor %}
{% for r in api.routes %}
      aws_api_gateway_integration.{{ r.id | ident }}.id,
{% endfor %}
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "this" {
  # checkov:skip=CKV_AWS_120: responses are per caller and carry authorization data; caching them is unsafe
  rest_api_id = aws_api_gateway_rest_api.this.id
  deployment_id = aws_api_gateway_deployment.this.id
  stage_name = var.stage_name
  description = "Stage ${var.stage_name} of ${var.api_name}."
  xray_tracing_enabled = var.xray_tracing
  client_certificate_id = aws_api_gateway_client_certificate.this.id

  access_log_settings {
    destination_arn = var.access_log_group_arn
    format = jsonencode({
      requestId = "$context.requestId"
      extendedRequestId = "$context.extendedRequestId"
      ip = "$context.identity.sourceIp"
      userAgent = "$context.identity.userAgent"
      requestTime = "$context.requestTime"
      httpMethod = "$context.httpMethod"
      resourcePath = "$context.resourcePath"
      status = "$context.status"
      protocol = "$context.protocol"
      responseLength = "$context.responseLength"
      integrationLatency = "$context.integrationLatency"
      principal = "$context.authorizer.claims.sub"
      errorMessage = "$context.error.message"
    })
  }

  depends_on = [aws_cloudwatch_log_group.execution]
}

# Trivy AWS-0190 (response caching): responses are per caller and carry
# authorization data; caching them is unsafe.
#trivy:ignore:AWS-0190
resource "aws_api_gateway_method_settings" "all" {
  # checkov:skip=CKV_AWS_225: responses are per caller and carry authorization data; caching them is unsafe
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled = var.detailed_metrics
    logging_level = "INFO"
    data_trace_enabled = false
    throttling_burst_limit = {{ api.throttle_burst }}
    throttling_rate_limit = {{ api.throttle_rate }}
  }
}
{% macro managed_rule(name, priority, group, hosting_override=false) %}

  rule {
    name = {{ name }}
    priority = {{ priority }}

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name = {{ group }}
{% if hosting_override %}

        # Services calling the API from cloud hosting (e.g. other back ends)
        # are legitimate: count those requests instead of blocking them.
        rule_action_override {
          name = "HostingProviderIPList"

          action_to_use {
            count {}
          }
        }
{% endif %}
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name = "${var.api_name}-{{ name | in_string }}"
      sampled_requests_enabled = true
    }
  }
{% endmacro %}

resource "aws_wafv2_web_acl" "api" {
  name = var.api_name
  description = "Protects the ${var.api_name} stage."
  scope = "REGIONAL"

  default_action {
    allow {}
  }
{{ managed_rule("aws-common-rule-set", 10, "AWSManagedRulesCommonRuleSet") | safe }}
{{- managed_rule("aws-known-bad-inputs", 20, "AWSManagedRulesKnownBadInputsRuleSet") | safe }}
{{- managed_rule("aws-ip-reputation", 30, "AWSManagedRulesAmazonIpReputationList") | safe }}
{{- managed_rule("aws-anonymous-ip", 40, "AWSManagedRulesAnonymousIpList", true) | safe }}
  rule {
    name = "rate-limit-per-ip"
    priority = 50

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit = 2000
        aggregate_key_type = "IP"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name = "${var.api_name}-rate-limit-per-ip"
      sampled_requests_enabled = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name = var.api_name
    sampled_requests_enabled = true
  }
}

resource "aws_wafv2_web_acl_association" "api" {
  resource_arn = aws_api_gateway_stage.this.arn
  web_acl_arn = aws_wafv2_web_acl.api.arn
}

resource "aws_wafv2_web_acl_logging_configuration" "api" {
  resource_arn = aws_wafv2_web_acl.api.arn
  log_destination_configs = [var.waf_log_group_arn]

  redacted_fields {
    single_header {
      name = "authorization"
    }
  }
}
