
# Application feature flags (envc: flags {}), one SecureString parameter per
# flag under /{{ project.name | in_string }}/<env>/flags/<name>, encrypted with the
# environment key. The flags and their values are in terraform.tfvars.

resource "aws_ssm_parameter" "flags" {
  for_each = var.flags

  name = "/${local.project}/${var.env_name}/flags/${each.key}"
  description = "Feature flag ${each.key} of ${local.project} ${var.env_name}."
  type = "SecureString"
  key_id = aws_kms_key.main.arn
  value = each.value
}
