{% for f in project.functions %}

output "{{ f.id | ident }}_function_name" {
  description = "Name of the {{ f.name | in_string }} function."
  value = aws_lambda_function.{{ f.id | ident }}.function_name
}

output "{{ f.id | ident }}_function_arn" {
  description = "ARN of the {{ f.name | in_string }} function."
  value = aws_lambda_function.{{ f.id | ident }}.arn
}

output "{{ f.id | ident }}_invoke_arn" {
  description = "Invoke ARN of the {{ f.name | in_string }} function (API Gateway integrations)."
  value = aws_lambda_function.{{ f.id | ident }}.invoke_arn
}
{% endfor %}

output "function_names" {
  description = "Function names by envc function name."
  value = {
{% for f in project.functions %}
    {{ f.name }} = aws_lambda_function.{{ f.id | ident }}.function_name
{% endfor %}
  }
}

output "package_bucket_name" {
  description = "Name of the bucket of deployment packages."
  value = aws_s3_bucket.packages.id
}
