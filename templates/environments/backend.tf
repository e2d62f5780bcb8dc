
terraform {
  backend "s3" {
    bucket = {{ env.backend.bucket }}
    key = {{ env.backend.key }}
    region = {{ env.backend.region }}
    dynamodb_table = {{ env.backend.lock_table }}
    encrypt = true
  }
}
