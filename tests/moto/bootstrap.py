"""What must exist in the emulated account before a generated root applies
(tests/apply.rs), created the way a platform team creates it outside the tree.

  bootstrap.py state ENDPOINT REGION BUCKET KMS_ALIAS
      The state backend the root's backend.tf names: a versioned bucket, and
      the KMS key (with its alias) that encrypts the state.
  bootstrap.py functions ENDPOINT REGION NAME...
      Lambda functions deployed by a pipeline before envc created them (the
      upgrade test: a tree of an earlier envc expected them to exist).
  bootstrap.py log-group ENDPOINT REGION NAME
      A log group created outside Terraform, without retention or key, as
      API Gateway creates a stage's execution log group on its first request.
"""

import io
import sys
import zipfile

import boto3


def client(service, endpoint, region):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="mock",
        aws_secret_access_key="mock",
    )


def state(endpoint, region, bucket, alias):
    s3 = client("s3", endpoint, region)
    config = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket, **config)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    kms = client("kms", endpoint, region)
    key = kms.create_key(Description=f"state of {bucket}")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=alias, TargetKeyId=key)


def functions(endpoint, region, names):
    iam = client("iam", endpoint, region)
    role = iam.create_role(
        RoleName="pipeline-deployed-functions",
        AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        '"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
    )["Role"]["Arn"]
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return {'statusCode': 200}\n")
    lam = client("lambda", endpoint, region)
    for name in names:
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": package.getvalue()},
        )


def log_group(endpoint, region, name):
    client("logs", endpoint, region).create_log_group(logGroupName=name)


if __name__ == "__main__":
    what, endpoint, region, *rest = sys.argv[1:]
    if what == "state":
        state(endpoint, region, *rest)
    elif what == "functions":
        functions(endpoint, region, rest)
    elif what == "log-group":
        log_group(endpoint, region, *rest)
    else:
        sys.exit(f"unknown bootstrap {what}")
