
# The API's resource tree (one aws_api_gateway_resource per path prefix of
# the `route`s of envc.kdl, parents first) and one method per route. Routes
# are authenticated by the Cognito authorizer unless they say auth=#false.
# Every method validates its request (request validator of main.tf).
{% for res in project.api.resources %}

resource "aws_api_gateway_resource" "{{ res.id | ident }}" {
  rest_api_id = aws_api_gateway_rest_api.this.id
{% if res.parent %}
  parent_id = aws_api_gateway_resource.{{ res.parent | ident }}.id
{% else %}
  parent_id = aws_api_gateway_rest_api.this.root_resource_id
{% endif %}
  path_part = {{ res.part }}
}
{% endfor %}
{% for r in project.api.routes %}

{% if not r.auth %}
# Trivy AWS-0004 (unauthorized access): {{ r.key }} is public by design
# (auth=#false in envc.kdl); the function authenticates its callers itself.
#trivy:ignore:AWS-0004
{% endif %}
resource "aws_api_gateway_method" "{{ r.id | ident }}" {
{% if not r.auth %}
  # checkov:skip=CKV_AWS_59: {{ r.key }} is public by design (auth=#false in envc.kdl): the function authenticates its callers itself
{% endif %}
  rest_api_id = aws_api_gateway_rest_api.this.id
{% if r.resource %}
  resource_id = aws_api_gateway_resource.{{ r.resource | ident }}.id
{% else %}
  resource_id = aws_api_gateway_rest_api.this.root_resource_id
{% endif %}
  http_method = {{ r.method }}
{% if r.auth %}
  authorization = "COGNITO_USER_POOLS"
  authorizer_id = aws_api_gateway_authorizer.cognito.id
{% else %}
  authorization = "NONE"
{% endif %}
  request_validator_id = aws_api_gateway_request_validator.this.id
{% if r.params %}

  request_parameters = {
{% for p in r.params %}
    "method.request.path.{{ p | in_string }}" = true
{% endfor %}
  }
{% endif %}
}
{% endfor %}
