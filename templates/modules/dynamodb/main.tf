
# One table per `table` node of envc.kdl. This file holds each table's shape:
# keys, attributes, billing, encryption, streams and TTL. The index
# definitions come from gsi.tf (local.global_secondary_indexes), the recovery
# settings (PITR, deletion protection, replicas) from pitr.tf.
{% for t in project.tables %}

resource "aws_dynamodb_table" "{{ t.id | ident }}" {
  name = "${var.name_prefix}-{{ t.name | in_string }}"
  billing_mode = "PAY_PER_REQUEST"
  hash_key = {{ t.hash_key }}
{% if t.range_key %}
  range_key = {{ t.range_key }}
{% endif %}
  stream_enabled = true
  stream_view_type = "NEW_AND_OLD_IMAGES"
  deletion_protection_enabled = local.deletion_protection_enabled
{% for a in t.attributes %}

  attribute {
    name = {{ a.name }}
    type = {{ a.type }}
  }
{% endfor %}

  dynamic "global_secondary_index" {
    for_each = local.global_secondary_indexes[{{ t.name }}]
    content {
      name = global_secondary_index.value.name
      hash_key = global_secondary_index.value.hash_key
      range_key = global_secondary_index.value.range_key
      projection_type = global_secondary_index.value.projection_type
      non_key_attributes = global_secondary_index.value.non_key_attributes
    }
  }
{% if t.ttl %}

  ttl {
    attribute_name = {{ t.ttl }}
    enabled = true
  }
{% endif %}

  server_side_encryption {
    enabled = true
    kms_key_arn = var.kms_key_arn
  }

  point_in_time_recovery {
    enabled = local.pitr_enabled
  }

  dynamic "replica" {
    for_each = local.replica_regions
    content {
      region_name = replica.value
      kms_key_arn = var.replica_kms_key_arn
      point_in_time_recovery = local.pitr_enabled
      propagate_tags = true
    }
  }
}
{% endfor %}
