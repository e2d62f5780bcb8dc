{% for f in project.functions %}

output "{{ f.id | ident }}_role_arn" {
  description = "ARN of the service role of the {{ f.name | in_string }} function."
  value = aws_iam_role.{{ f.id | ident }}.arn
}

output "{{ f.id | ident }}_role_name" {
  description = "Name of the service role of the {{ f.name | in_string }} function."
  value = aws_iam_role.{{ f.id | ident }}.name
}

output "{{ f.id | ident }}_policy_arn" {
  description = "ARN of the policy of the {{ f.name | in_string }} function."
  value = aws_iam_policy.{{ f.id | ident }}.arn
}
{% endfor %}
{% if project.api %}

output "api_gateway_cloudwatch_role_arn" {
  description = "ARN of the role API Gateway writes CloudWatch logs with."
  value = aws_iam_role.api_gateway_cloudwatch.arn
}
{% endif %}

output "role_arns" {
  description = "Service role ARNs by envc function name."
  value = {
{% for f in project.functions %}
    {{ f.name }} = aws_iam_role.{{ f.id | ident }}.arn
{% endfor %}
  }
}

output "policy_arns" {
  description = "Policy ARNs by envc function name."
  value = {
{% for f in project.functions %}
    {{ f.name }} = aws_iam_policy.{{ f.id | ident }}.arn
{% endfor %}
  }
}
