
# Remote state: the S3 bucket and DynamoDB lock table of the naming
# convention (envc: backend {}), created outside this root.

terraform {
  backend "s3" {
    bucket = {{ env.backend.bucket }}
    key = {{ env.backend.key }}
    region = {{ env.backend.region }}
    dynamodb_table = {{ env.backend.lock_table }}
    encrypt = true
  }
}
