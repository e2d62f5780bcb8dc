
# Hot / warm / cold lifecycle of each bucket and of its replica: STANDARD,
# then STANDARD_IA after warm-after-days, GLACIER after cold-after-days,
# DEEP_ARCHIVE after archive-after-days, expiry after expire-after-days.
# Noncurrent versions take the same steps and expire after
# noncurrent-expire-after-days (steps that would start on or after that day
# are left out). Incomplete multipart uploads are aborted after 7 days.
{% for b in project.buckets %}
{% for replica in [false, true] %}

resource "aws_s3_bucket_lifecycle_configuration" "{{ b.id | ident }}{{ ("_replica" if replica else "") | safe }}" {
{% if replica %}
  count = local.replication_count
  provider = aws.failover

  bucket = aws_s3_bucket.{{ b.id | ident }}_replica[0].id
{% else %}
  bucket = aws_s3_bucket.{{ b.id | ident }}.id
{% endif %}

  rule {
    id = "hot-warm-cold"
    status = "Enabled"

    filter {}

    transition {
      days = {{ b.warm_after_days }}
      storage_class = "STANDARD_IA"
    }

    transition {
      days = {{ b.cold_after_days }}
      storage_class = "GLACIER"
    }

    transition {
      days = {{ b.archive_after_days }}
      storage_class = "DEEP_ARCHIVE"
    }

    expiration {
      days = {{ b.expire_after_days }}
    }
{% if b.warm_after_days < b.noncurrent_expire_after_days %}

    noncurrent_version_transition {
      noncurrent_days = {{ b.warm_after_days }}
      storage_class = "STANDARD_IA"
    }
{% endif %}
{% if b.cold_after_days < b.noncurrent_expire_after_days %}

    noncurrent_version_transition {
      noncurrent_days = {{ b.cold_after_days }}
      storage_class = "GLACIER"
    }
{% endif %}
{% if b.archive_after_days < b.noncurrent_expire_after_days %}

    noncurrent_version_transition {
      noncurrent_days = {{ b.archive_after_days }}
      storage_class = "DEEP_ARCHIVE"
    }
{% endif %}

    noncurrent_version_expiration {
      noncurrent_days = {{ b.noncurrent_expire_after_days }}
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.{{ b.id | ident }}{{ ("_replica" if replica else "") | safe }}]
}
{% endfor %}
{% endfor %}
