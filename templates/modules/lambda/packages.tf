
# The bucket of deployment packages, "<prefix>-<env>-lambda-packages-<account>-<region>",
# and in it one placeholder package per function, placeholders/<function>.zip:
# a handler that answers HTTP 503 "not deployed yet" (Node.js, Python, Ruby)
# or a note (compiled runtimes). It exists so that a fresh account's first
# apply can create the functions; the functions' pipelines may upload their
# packages here too (any key outside placeholders/). The bucket has the
# protections of the audit buckets: versioning, SSE-KMS with the environment
# key, public access blocked, owner-enforced ownership, TLS only, events to
# EventBridge, and a lifecycle that expires old package versions.

# Trivy AWS-0089 (bucket logging): object-level access is recorded by CloudTrail
# data events; S3 server access logs would need an SSE-S3 (non-KMS) target bucket.
#trivy:ignore:AWS-0089
resource "aws_s3_bucket" "packages" {
  # checkov:skip=CKV_AWS_18: object-level access is recorded by CloudTrail data events; S3 server access logs would need an SSE-S3 (non-KMS) target bucket
  # checkov:skip=CKV_AWS_144: packages are rebuilt by the pipelines and the placeholders by this tree; a replica would hold nothing that cannot be recreated
  bucket = "${var.name_prefix}-lambda-packages-${var.account_id}-${var.region}"
}

resource "aws_s3_bucket_versioning" "packages" {
  bucket = aws_s3_bucket.packages.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "packages" {
  bucket = aws_s3_bucket.packages.id

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
  }
}

resource "aws_s3_bucket_public_access_block" "packages" {
  bucket = aws_s3_bucket.packages.id
  block_public_acls = true
  block_public_policy = true
  ignore_public_acls = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "packages" {
  bucket = aws_s3_bucket.packages.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_policy" "packages" {
  bucket = aws_s3_bucket.packages.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid = "DenyInsecureTransport"
        Effect = "Deny"
        Principal = "*"
        Action = "s3:*"
        Resource = [aws_s3_bucket.packages.arn, "${aws_s3_bucket.packages.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.packages]
}

resource "aws_s3_bucket_notification" "packages" {
  bucket = aws_s3_bucket.packages.id
  eventbridge = true
}

resource "aws_s3_bucket_lifecycle_configuration" "packages" {
  bucket = aws_s3_bucket.packages.id

  rule {
    id = "expire-old-packages"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 30
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.packages]
}
{% for f in project.functions %}

resource "aws_s3_object" "{{ f.id | ident }}_placeholder" {
  bucket = aws_s3_bucket.packages.id
  key = "placeholders/{{ f.name | in_string }}.zip"
  content_base64 = {{ f.placeholder }}
  content_type = "application/zip"
  kms_key_id = var.kms_key_arn

  depends_on = [aws_s3_bucket_versioning.packages, aws_s3_bucket_server_side_encryption_configuration.packages]
}
{% endfor %}
