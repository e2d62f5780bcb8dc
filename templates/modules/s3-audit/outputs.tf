{% for b in project.buckets %}

output "{{ b.id | ident }}_bucket_name" {
  description = "Name of the {{ b.name | in_string }} bucket."
  value = aws_s3_bucket.{{ b.id | ident }}.id
}

output "{{ b.id | ident }}_bucket_arn" {
  description = "ARN of the {{ b.name | in_string }} bucket."
  value = aws_s3_bucket.{{ b.id | ident }}.arn
}

output "{{ b.id | ident }}_replica_bucket_name" {
  description = "Name of the {{ b.name | in_string }} bucket's replica in the failover region; null when replication is off."
  value = one(aws_s3_bucket.{{ b.id | ident }}_replica[*].id)
}
{% endfor %}

output "bucket_names" {
  description = "Bucket names by envc bucket name."
  value = {
{% for b in project.buckets %}
    {{ b.name }} = aws_s3_bucket.{{ b.id | ident }}.id
{% endfor %}
  }
}

output "replica_bucket_names" {
  description = "Replica bucket names by envc bucket name; empty when replication is off."
  value = {
    for name, id in {
{% for b in project.buckets %}
      {{ b.name }} = one(aws_s3_bucket.{{ b.id | ident }}_replica[*].id)
{% endfor %}
    } : name => id if id != null
  }
}
