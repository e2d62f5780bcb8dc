
# Global secondary indexes, one list per table (the `gsi` nodes of each
# `table` in envc.kdl). main.tf renders each list with a
# `dynamic "global_secondary_index"` block; a table without indexes has an
# empty list. Every entry has the same keys; an unset range key or a
# projection without non-key attributes is null.

locals {
  global_secondary_indexes = {
{% for t in project.tables %}
{% if t.gsis %}
    {{ t.name }} = [
{% for g in t.gsis %}
      {
        name = {{ g.name }}
        hash_key = {{ g.hash_key }}
        range_key = {{ g.range_key }}
        projection_type = {{ g.projection }}
        non_key_attributes = null
      },
{% endfor %}
    ]
{% else %}
    {{ t.name }} = []
{% endif %}
{% endfor %}
  }
}
