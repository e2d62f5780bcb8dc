
output "user_pool_id" {
  description = "ID of the user pool."
  value = aws_cognito_user_pool.this.id
}

output "user_pool_arn" {
  description = "ARN of the user pool."
  value = aws_cognito_user_pool.this.arn
}

output "user_pool_endpoint" {
  description = "Endpoint (issuer) of the user pool."
  value = aws_cognito_user_pool.this.endpoint
}
{% for c in project.user_pool.clients %}

output "{{ c.id | ident }}_client_id" {
  description = "ID of the {{ c.name | in_string }} app client."
  value = aws_cognito_user_pool_client.{{ c.id | ident }}.id
}
{% endfor %}

output "client_ids" {
  description = "App client IDs by envc client name."
  value = {
{% for c in project.user_pool.clients %}
    {{ c.name }} = aws_cognito_user_pool_client.{{ c.id | ident }}.id
{% endfor %}
  }
}
