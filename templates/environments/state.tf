
# Changes of the Terraform state that applying this root makes by itself:
# moved blocks for resources whose address changed between versions of envc
# (a tree applied with an earlier version plans without replacing them), and
# import blocks for resources that exist in AWS but not yet in the state
# (envc: adopt).
{% if env.cross_region_replication %}

# Earlier versions: the failover region's key was always a replica key.
moved {
  from = aws_kms_replica_key.failover
  to = aws_kms_replica_key.failover[0]
}
{% endif %}
{% if "account" in modules and env.owns_account_settings %}

# Earlier versions: API Gateway's account setting lived in the api-gateway
# module and its role in the iam module.
moved {
  from = module.api_gateway.aws_api_gateway_account.this
  to = module.account.aws_api_gateway_account.this
}

moved {
  from = module.iam.aws_iam_role.api_gateway_cloudwatch
  to = module.account.aws_iam_role.api_gateway_cloudwatch
}

moved {
  from = module.iam.aws_iam_role_policy_attachment.api_gateway_cloudwatch
  to = module.account.aws_iam_role_policy_attachment.api_gateway_cloudwatch
}
{% endif %}
{% if "functions" in env.adopt %}

# adopt "functions": the functions exist (deployed before envc created them).
{% for f in project.functions %}
import {
  to = module.lambda.aws_lambda_function.{{ f.id | ident }}
  id = "${local.name_prefix}-{{ f.name | in_string }}"
}
{% if not loop.last %}

{% endif %}
{% endfor %}
{% endif %}
{% if "api-execution-log-group" in env.adopt and project.api %}

# adopt "api-execution-log-group": API Gateway created the stage's execution
# log group on its own, before the tree did.
import {
  to = module.api_gateway.aws_cloudwatch_log_group.execution
  id = "API-Gateway-Execution-Logs_${module.api_gateway.rest_api_id}/${local.api_stage_name}"
}
{% endif %}
