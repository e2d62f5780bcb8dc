
# One bucket per `bucket` node of envc.kdl, named
# "<prefix>-<env>-<bucket>-<account>-<region>" (bucket names are global):
# versioned, SSE-KMS with the environment key and a bucket key, all public
# access blocked, bucket-owner ownership, TLS-only access, events to
# EventBridge, and S3 Object Lock where the environment turns it on
# (var.object_lock: on by default in PROD). The hot/warm/cold lifecycles are
# in lifecycle.tf, the cross-region replicas in replication.tf.
#
# Object Lock is enabled on the existing, versioned bucket by its own
# resource, not by the bucket's object_lock_enabled argument, which would
# replace the bucket. Once enabled it cannot be turned off again: removing the
# configuration only removes the default retention.
{% for b in project.buckets %}

# Trivy AWS-0089 (bucket logging): object-level access is recorded by CloudTrail
# data events; S3 server access logs would need an SSE-S3 (non-KMS) target bucket.
#trivy:ignore:AWS-0089
resource "aws_s3_bucket" "{{ b.id | ident }}" {
  # checkov:skip=CKV_AWS_18: object-level access is recorded by CloudTrail data events; S3 server access logs would need an SSE-S3 (non-KMS) target bucket
  bucket = "${var.name_prefix}-{{ b.name | in_string }}-${var.account_id}-${var.region}"
}

resource "aws_s3_bucket_versioning" "{{ b.id | ident }}" {
  bucket = aws_s3_bucket.{{ b.id | ident }}.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "{{ b.id | ident }}" {
  bucket = aws_s3_bucket.{{ b.id | ident }}.id

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
  }
}

resource "aws_s3_bucket_public_access_block" "{{ b.id | ident }}" {
  bucket = aws_s3_bucket.{{ b.id | ident }}.id
  block_public_acls = true
  block_public_policy = true
  ignore_public_acls = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "{{ b.id | ident }}" {
  bucket = aws_s3_bucket.{{ b.id | ident }}.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_policy" "{{ b.id | ident }}" {
  bucket = aws_s3_bucket.{{ b.id | ident }}.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid = "DenyInsecureTransport"
        Effect = "Deny"
        Principal = "*"
        Action = "s3:*"
        Resource = [aws_s3_bucket.{{ b.id | ident }}.arn, "${aws_s3_bucket.{{ b.id | ident }}.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.{{ b.id | ident }}]
}

resource "aws_s3_bucket_notification" "{{ b.id | ident }}" {
  bucket = aws_s3_bucket.{{ b.id | ident }}.id
  eventbridge = true
}

resource "aws_s3_bucket_object_lock_configuration" "{{ b.id | ident }}" {
  count = lookup(var.object_lock, {{ b.name }}, null) == null ? 0 : 1

  bucket = aws_s3_bucket.{{ b.id | ident }}.id

  rule {
    default_retention {
      mode = var.object_lock[{{ b.name }}].mode
      days = var.object_lock[{{ b.name }}].days
    }
  }

  depends_on = [aws_s3_bucket_versioning.{{ b.id | ident }}]
}
{% endfor %}
