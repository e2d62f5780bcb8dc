{% for f in env.flags %}

resource "aws_ssm_parameter" "flag_{{ f.id | ident }}" {
  name = "/{{ project.name | in_string }}/${var.env_name}/flags/{{ f.name | in_string }}"
  description = "Feature flag {{ f.name | in_string }} ({{ f.kind | in_string }})"
  type = "SecureString"
  key_id = aws_kms_key.main.arn
  value = {{ f.value }}
}
{% endfor %}
