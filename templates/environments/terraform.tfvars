env_name = {{ env.name }}
tier = {{ env.tier }}
region = {{ env.region }}
account_id = {{ env.account_id }}
pitr_enabled = {{ env.pitr }}
cross_region_replication = {{ env.cross_region_replication }}
failover_region = {{ env.failover_region }}

deletion_protection = {{ env.features.deletion_protection }}
xray_tracing = {{ env.features.xray_tracing }}
cognito_advanced_security = {{ env.features.cognito_advanced_security }}
detailed_metrics = {{ env.features.detailed_metrics }}
log_retention_days = {{ env.log_retention_days }}

tags = {{ env.tags | hcl(0) }}

{% if env.flags %}
flags = {
{% for f in env.flags %}
  {{ f.name }} = {{ f.value }}
{% endfor %}
}
{% else %}
flags = {}
{% endif %}

alert_emails = {{ env.alert_emails }}

api_5xx_errors_threshold = {{ env.alarms.api_5xx_errors }}
api_latency_p99_ms_threshold = {{ env.alarms.api_latency_p99_ms }}
dynamodb_throttles_threshold = {{ env.alarms.dynamodb_throttles }}
dynamodb_system_errors_threshold = {{ env.alarms.dynamodb_system_errors }}
{% if env.functions %}

functions = {
{% for f in env.functions %}
  {{ f.name }} = {
    memory_size = {{ f.memory }}
    timeout = {{ f.timeout }}
    reserved_concurrency = {{ f.reserved_concurrency }}
    tracing = {{ f.tracing }}
    environment = {{ f.environment | hcl(4) }}
  }
{% endfor %}
}
{% endif %}
{% if env.buckets %}

object_lock = {
{% for b in env.buckets %}
{% if b.object_lock %}
  {{ b.name }} = {
    mode = {{ b.object_lock.mode }}
    days = {{ b.object_lock.days }}
  }
{% else %}
  {{ b.name }} = null
{% endif %}
{% endfor %}
}
{% endif %}
{% if env.callback_urls %}

callback_urls = {
{% for c in env.callback_urls %}
  {{ c.name }} = {{ c.urls }}
{% endfor %}
}
{% endif %}
