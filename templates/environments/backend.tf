
# Remote state in the S3 bucket of the naming convention (envc: backend {}),
# encrypted with its own KMS key and locked with S3's lock file (use_lockfile,
# Terraform >= 1.10; no DynamoDB lock table). The bucket and the key exist
# before this root: they hold its state, so the root cannot create them.

terraform {
  backend "s3" {
    bucket = {{ env.backend.bucket }}
    key = {{ env.backend.key }}
    region = {{ env.backend.region }}
    encrypt = true
    kms_key_id = {{ env.backend.kms_key }}
    use_lockfile = true
  }
}
