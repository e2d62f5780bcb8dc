
# Cross-region replication of each bucket into failover_region (envc:
# cross-region-replication); everything here has count = 0 when replication
# is off. The replica bucket lives in the failover region (provider
# aws.failover) and carries the same protections as its source: versioning,
# SSE-KMS with the failover-region key, public access block, ownership
# controls, TLS-only policy, EventBridge notifications, the same Object Lock
# (S3 replicates a locked source only into a locked replica) and
# (lifecycle.tf) the same lifecycle. S3 replicates through a least-privilege
# role per bucket, which may read the source objects' retention and legal hold.

locals {
  replication_count = var.replication_enabled ? 1 : 0
  failover_region = coalesce(var.failover_region, var.region)
}
{% for b in project.buckets %}

# Trivy AWS-0089 (bucket logging): object-level access is recorded by CloudTrail
# data events; S3 server access logs would need an SSE-S3 (non-KMS) target bucket.
#trivy:ignore:AWS-0089
resource "aws_s3_bucket" "{{ b.id | ident }}_replica" {
  # checkov:skip=CKV_AWS_18: object-level access is recorded by CloudTrail data events; S3 server access logs would need an SSE-S3 (non-KMS) target bucket
  # checkov:skip=CKV_AWS_144: this bucket is the cross-region replication destination
  count = local.replication_count
  provider = aws.failover

  bucket = "${var.name_prefix}-{{ b.name | in_string }}-${var.account_id}-${local.failover_region}"
}

resource "aws_s3_bucket_versioning" "{{ b.id | ident }}_replica" {
  count = local.replication_count
  provider = aws.failover

  bucket = aws_s3_bucket.{{ b.id | ident }}_replica[0].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "{{ b.id | ident }}_replica" {
  count = local.replication_count
  provider = aws.failover

  bucket = aws_s3_bucket.{{ b.id | ident }}_replica[0].id

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
      kms_master_key_id = var.replica_kms_key_arn
    }
  }
}

resource "aws_s3_bucket_public_access_block" "{{ b.id | ident }}_replica" {
  count = local.replication_count
  provider = aws.failover

  bucket = aws_s3_bucket.{{ b.id | ident }}_replica[0].id
  block_public_acls = true
  block_public_policy = true
  ignore_public_acls = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "{{ b.id | ident }}_replica" {
  count = local.replication_count
  provider = aws.failover

  bucket = aws_s3_bucket.{{ b.id | ident }}_replica[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_policy" "{{ b.id | ident }}_replica" {
  count = local.replication_count
  provider = aws.failover

  bucket = aws_s3_bucket.{{ b.id | ident }}_replica[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid = "DenyInsecureTransport"
        Effect = "Deny"
        Principal = "*"
        Action = "s3:*"
        Resource = [aws_s3_bucket.{{ b.id | ident }}_replica[0].arn, "${aws_s3_bucket.{{ b.id | ident }}_replica[0].arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.{{ b.id | ident }}_replica]
}

resource "aws_s3_bucket_notification" "{{ b.id | ident }}_replica" {
  count = local.replication_count
  provider = aws.failover

  bucket = aws_s3_bucket.{{ b.id | ident }}_replica[0].id
  eventbridge = true
}

resource "aws_s3_bucket_object_lock_configuration" "{{ b.id | ident }}_replica" {
  count = var.replication_enabled && lookup(var.object_lock, {{ b.name }}, null) != null ? 1 : 0
  provider = aws.failover

  bucket = aws_s3_bucket.{{ b.id | ident }}_replica[0].id

  rule {
    default_retention {
      mode = var.object_lock[{{ b.name }}].mode
      days = var.object_lock[{{ b.name }}].days
    }
  }

  depends_on = [aws_s3_bucket_versioning.{{ b.id | ident }}_replica]
}

resource "aws_iam_role" "{{ b.id | ident }}_replication" {
  count = local.replication_count

  name = "${var.name_prefix}-{{ b.name | in_string }}-replication"
  description = "Lets S3 replicate the {{ b.name | in_string }} bucket into the failover region."
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid = "S3AssumeRole"
        Effect = "Allow"
        Principal = { Service = "s3.amazonaws.com" }
        Action = "sts:AssumeRole"
        Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }
      },
    ]
  })
}

resource "aws_iam_policy" "{{ b.id | ident }}_replication" {
  count = local.replication_count

  name = "${var.name_prefix}-{{ b.name | in_string }}-replication"
  description = "Least-privilege access of S3 replication from the {{ b.name | in_string }} bucket to its replica."
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid = "SourceBucketConfiguration"
        Effect = "Allow"
        Action = ["s3:GetReplicationConfiguration", "s3:ListBucket"]
        Resource = [aws_s3_bucket.{{ b.id | ident }}.arn]
      },
      {
        Sid = "SourceObjectVersions"
        Effect = "Allow"
        Action = ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging", "s3:GetObjectRetention", "s3:GetObjectLegalHold"]
        Resource = ["${aws_s3_bucket.{{ b.id | ident }}.arn}/*"]
      },
      {
        Sid = "ReplicateToReplicaBucket"
        Effect = "Allow"
        Action = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]
        Resource = ["${aws_s3_bucket.{{ b.id | ident }}_replica[0].arn}/*"]
      },
      {
        Sid = "DecryptSourceObjects"
        Effect = "Allow"
        Action = ["kms:Decrypt"]
        Resource = [var.kms_key_arn]
      },
      {
        Sid = "EncryptReplicaObjects"
        Effect = "Allow"
        Action = ["kms:Encrypt", "kms:GenerateDataKey"]
        Resource = [var.replica_kms_key_arn]
      },
    ]
  })
}

resource "aws_iam_role_policy_attachment" "{{ b.id | ident }}_replication" {
  count = local.replication_count

  role = aws_iam_role.{{ b.id | ident }}_replication[0].name
  policy_arn = aws_iam_policy.{{ b.id | ident }}_replication[0].arn
}

resource "aws_s3_bucket_replication_configuration" "{{ b.id | ident }}" {
  count = local.replication_count

  bucket = aws_s3_bucket.{{ b.id | ident }}.id
  role = aws_iam_role.{{ b.id | ident }}_replication[0].arn

  rule {
    id = "replicate-to-failover-region"
    status = "Enabled"

    filter {}

    delete_marker_replication {
      status = "Enabled"
    }

    source_selection_criteria {
      sse_kms_encrypted_objects {
        status = "Enabled"
      }
    }

    destination {
      bucket = aws_s3_bucket.{{ b.id | ident }}_replica[0].arn
      storage_class = "STANDARD"

      encryption_configuration {
        replica_kms_key_id = var.replica_kms_key_arn
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.{{ b.id | ident }}, aws_s3_bucket_versioning.{{ b.id | ident }}_replica, aws_s3_bucket_object_lock_configuration.{{ b.id | ident }}_replica]
}
{% endfor %}
