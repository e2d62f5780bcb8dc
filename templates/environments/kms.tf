
# The environment's customer-managed key: tables, buckets, log groups, topics
# and SSM parameters are encrypted with it.
resource "aws_kms_key" "main" {
  description = "${var.name_prefix} data key"
  enable_key_rotation = true
  deletion_window_in_days = 30
}
