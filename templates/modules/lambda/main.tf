
# One Lambda function per `function` node of envc.kdl, "<prefix>-<env>-<function>":
# envc owns its configuration (runtime, handler, architecture from the
# project; memory, timeout, reserved concurrency, tracing and environment
# variables per environment, in var.functions) and its wiring (role from the
# iam module, log group from the cloudwatch module, KMS key), not its code.
# The tree creates each function from a placeholder package (packages.tf)
# and ignores every later change of the code: the function's own pipeline
# deploys it (`aws lambda update-function-code`).
{% for f in project.functions %}

resource "aws_lambda_function" "{{ f.id | ident }}" {
  # checkov:skip=CKV_AWS_116: {% if f.invoked_by_api %}API Gateway invokes the function synchronously and receives its errors; a dead-letter queue only receives failed asynchronous invocations{% else %}envc wires no asynchronous invocation of this function; a dead-letter queue belongs where such a trigger is declared{% endif +%}
  # checkov:skip=CKV_AWS_117: the function reaches only AWS APIs (DynamoDB, S3, KMS, CloudWatch Logs), over TLS and with IAM authentication; a VPC would add NAT or endpoints and protect nothing more
  # checkov:skip=CKV_AWS_272: the code comes from the function's own pipeline (the tree ignores code changes); code signing belongs to that pipeline's signing profile
{% if not f.reserves_concurrency %}
  # checkov:skip=CKV_AWS_115: reserved concurrency is unset unless envc.kdl or the environment sets reserved-concurrency: a new account's concurrency quota refuses any reservation
{% endif %}
  function_name = "${var.name_prefix}-{{ f.name | in_string }}"
  description = {{ f.function_description }}
  role = var.{{ f.id | ident }}_role_arn
  runtime = {{ f.runtime }}
  handler = {{ f.handler }}
  architectures = [{{ f.architecture }}]
  memory_size = var.functions[{{ f.name }}].memory_size
  timeout = var.functions[{{ f.name }}].timeout
  reserved_concurrent_executions = var.functions[{{ f.name }}].reserved_concurrency
  kms_key_arn = var.kms_key_arn
  s3_bucket = aws_s3_object.{{ f.id | ident }}_placeholder.bucket
  s3_key = aws_s3_object.{{ f.id | ident }}_placeholder.key

  environment {
    variables = var.functions[{{ f.name }}].environment
  }

  tracing_config {
    mode = var.functions[{{ f.name }}].tracing
  }

  logging_config {
    log_format = "Text"
    log_group = var.{{ f.id | ident }}_log_group_name
  }

  lifecycle {
    # The code is the function pipeline's: the placeholder only creates the function.
    ignore_changes = [s3_bucket, s3_key, s3_object_version, source_code_hash, filename, image_uri]
  }
}
{% endfor %}
