{% for f in project.functions %}

output "{{ f.id | ident }}_role_arn" {
  description = "ARN of the service role of the {{ f.name | in_string }} function, once its permissions are attached."
  value = aws_iam_role.{{ f.id | ident }}.arn

  # A function created with this role can write its logs (and traces) from its first invocation.
  depends_on = [aws_iam_role_policy_attachment.{{ f.id | ident }}, aws_iam_role_policy_attachment.{{ f.id | ident }}_xray]
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
