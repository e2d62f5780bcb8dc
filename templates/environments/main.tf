
locals {
  name_prefix = "{{ env.name_prefix | in_string }}"
}
{% if "dynamodb" in modules %}

module "dynamodb" {
  source = "../../modules/dynamodb"

  name_prefix = local.name_prefix
  kms_key_arn = aws_kms_key.main.arn
  pitr_enabled = var.pitr_enabled
  deletion_protection = var.deletion_protection
  cross_region_replication = var.cross_region_replication
  failover_region = var.failover_region
}
{% endif %}
