{% for t in project.tables %}

output "{{ t.id | ident }}_table_name" {
  description = "Name of the {{ t.name | in_string }} table."
  value = aws_dynamodb_table.{{ t.id | ident }}.name
}

output "{{ t.id | ident }}_table_arn" {
  description = "ARN of the {{ t.name | in_string }} table."
  value = aws_dynamodb_table.{{ t.id | ident }}.arn
}

output "{{ t.id | ident }}_table_stream_arn" {
  description = "Stream ARN of the {{ t.name | in_string }} table."
  value = aws_dynamodb_table.{{ t.id | ident }}.stream_arn
}
{% endfor %}

output "table_names" {
  description = "Table names by envc table name."
  value = {
{% for t in project.tables %}
    {{ t.name }} = aws_dynamodb_table.{{ t.id | ident }}.name
{% endfor %}
  }
}

output "table_arns" {
  description = "Table ARNs by envc table name."
  value = {
{% for t in project.tables %}
    {{ t.name }} = aws_dynamodb_table.{{ t.id | ident }}.arn
{% endfor %}
  }
}
