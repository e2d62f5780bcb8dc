
provider "aws" {
  region = var.region
{% if env.account_id %}
  allowed_account_ids = [{{ env.account_id }}]
{% endif %}

  default_tags {
    tags = var.tags
  }
}
{% if env.cross_region_replication %}

# The failover region: DynamoDB replicas and the audit bucket's replica.
provider "aws" {
  alias  = "failover"
  region = var.failover_region
{% if env.account_id %}
  allowed_account_ids = [{{ env.account_id }}]
{% endif %}

  default_tags {
    tags = var.tags
  }
}
{% endif %}
