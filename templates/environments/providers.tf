
# The default provider is pinned to the environment's account and region;
# every resource carries the tags of terraform.tfvars (the project's, then
# the environment's).
{% if env.cross_region_replication %}
# The failover provider (cross-region-replication) manages the replica
# buckets and the replica KMS key in failover_region.
{% else %}
# Cross-region replication is off: there is no failover provider; main.tf
# hands the default provider to modules that declare aws.failover, whose
# replica resources then have count = 0.
{% endif %}

provider "aws" {
  region = var.region
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = var.tags
  }
}
{% if env.cross_region_replication %}

provider "aws" {
  alias = "failover"
  region = var.failover_region
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = var.tags
  }
}
{% endif %}
