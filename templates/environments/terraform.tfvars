env_name = {{ env.name }}
region = {{ env.region }}
pitr_enabled = {{ env.pitr }}
cross_region_replication = {{ env.cross_region_replication }}
failover_region = {{ env.failover_region }}
deletion_protection = {{ env.features.deletion_protection }}
tags = {{ env.tags | hcl(0) }}
