
# Lambda proxy integrations: one AWS_PROXY integration per route of
# routes.tf, to the function "<prefix>-<env>-<function>" of the lambda module,
# and one aws_lambda_permission per function, scoped to this API's execution
# ARN. The ARNs follow the naming convention; the root applies this module
# after the lambda module (depends_on), so the functions exist first. (Wiring
# the lambda module's outputs in instead makes checkov 3.3 stop evaluating
# this module's variables.)
{% if project.api.functions %}

locals {
{% for f in project.api.functions %}
  {{ f.id | ident }}_function_arn = "arn:aws:lambda:${var.region}:${var.account_id}:function:${var.name_prefix}-{{ f.name | in_string }}"
{% endfor %}

{% for f in project.api.functions %}
  {{ f.id | ident }}_invoke_arn = "arn:aws:apigateway:${var.region}:lambda:path/2015-03-31/functions/${local.{{ f.id | ident }}_function_arn}/invocations"
{% endfor %}
}
{% endif %}
{% for r in project.api.routes %}

resource "aws_api_gateway_integration" "{{ r.id | ident }}" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  resource_id = aws_api_gateway_method.{{ r.id | ident }}.resource_id
  http_method = aws_api_gateway_method.{{ r.id | ident }}.http_method
  type = "AWS_PROXY"
  integration_http_method = "POST"
  uri = local.{{ r.function_id | ident }}_invoke_arn
}
{% endfor %}
{% for f in project.api.functions %}

resource "aws_lambda_permission" "{{ f.id | ident }}" {
  statement_id = "AllowExecutionFromApiGateway"
  action = "lambda:InvokeFunction"
  function_name = local.{{ f.id | ident }}_function_arn
  principal = "apigateway.amazonaws.com"
  source_arn = "${aws_api_gateway_rest_api.this.execution_arn}/*/*/*"
}
{% endfor %}
