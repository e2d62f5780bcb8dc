
# Lambda proxy integrations: one AWS_PROXY integration per route of
# routes.tf, to the route's function (created by the lambda module, whose
# invoke ARNs the root passes in), and one aws_lambda_permission per
# function, scoped to this API's execution ARN.
{% for r in project.api.routes %}

resource "aws_api_gateway_integration" "{{ r.id | ident }}" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  resource_id = aws_api_gateway_method.{{ r.id | ident }}.resource_id
  http_method = aws_api_gateway_method.{{ r.id | ident }}.http_method
  type = "AWS_PROXY"
  integration_http_method = "POST"
  uri = var.{{ r.function_id | ident }}_invoke_arn
}
{% endfor %}
{% for f in project.api.functions %}

resource "aws_lambda_permission" "{{ f.id | ident }}" {
  statement_id = "AllowExecutionFromApiGateway"
  action = "lambda:InvokeFunction"
  function_name = var.{{ f.id | ident }}_function_arn
  principal = "apigateway.amazonaws.com"
  source_arn = "${aws_api_gateway_rest_api.this.execution_arn}/*/*/*"
}
{% endfor %}
