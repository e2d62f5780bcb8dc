
# Terraform >= 1.10 for S3 native state locking (use_lockfile); the AWS
# provider >= 5.83, the oldest whose schema has every argument the tree
# uses (aws_cognito_user_pool.user_pool_tier arrived in 5.83.0).

terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.83"
    }
  }
}
