"""moto_server with the patches envc's apply tests need (tests/apply.rs).

Each patch works around one limitation of moto 5.2.5 that is a bug of the
emulator, not of the generated tree; tests/apply.rs prints this list. The
patches change moto's behaviour only where it departs from AWS's.

Usage: python envc_moto.py [moto_server arguments]
"""

import copy
import json
import sys

import moto
from moto.kms import models as kms_models
from moto.kms import responses as kms_responses

PATCHES = []


def patch(name, limitation):
    def register(apply):
        PATCHES.append((name, limitation, apply))
        return apply

    return register


@patch(
    "s3-secure-transport",
    "moto evaluates only StringEquals conditions (a Bool condition always holds), treats a "
    "statement whose condition fails as a denial, and gives bucket policies no aws:SecureTransport, "
    "so a TLS-only bucket policy's Deny refuses every object request; the patch evaluates Bool, "
    "lets a statement whose condition fails not apply (as AWS does) and evaluates bucket policies "
    "as for the TLS requests the AWS provider makes",
)
def _bucket_policies_see_tls():
    from moto.iam import access_control, policy_conditions
    from moto.s3 import models as s3_models

    def bool_equals(expected, actual):
        values = expected if isinstance(expected, list) else [expected]
        return str(actual).lower() in [str(v).lower() for v in values]

    policy_conditions.CONDITION_OPERATIONS["Bool"] = bool_equals

    statement = access_control.IAMPolicyStatement
    check_conditions = statement._check_conditions
    is_action_permitted = statement.is_action_permitted
    result = access_control.PermissionResult

    def permitted(self, action, resource="*", principal=None, incoming_condition_values=None):
        if self._statement.get("Condition") and not check_conditions(self, incoming_condition_values):
            return result.NEUTRAL
        return is_action_permitted(self, action, resource, principal, incoming_condition_values)

    statement.is_action_permitted = permitted

    def get_permission(self, action, resource):
        if self.policy is None:
            return result.NEUTRAL
        return access_control.IAMPolicy(self.policy.decode()).is_action_permitted(
            action, resource, incoming_condition_values={"aws:SecureTransport": "true"}
        )

    s3_models.FakeBucket.get_permission = get_permission


@patch(
    "kms-replicate-key",
    "ReplicateKey ignores Policy, Description and Tags (the replica is a shallow copy of the "
    "primary), so the AWS provider waits forever for the replica to match its configuration; "
    "the copy also shares the primary's aliases (an alias of the same name in the replica's "
    "region is refused as existing) and its multi-Region configuration (describing the replica "
    "turns the primary into a REPLICA)",
)
def _replicate_key_honours_parameters():
    def replicate_key(self):
        key_id = self._get_param("KeyId")
        self._validate_key_id(key_id)
        replica_region = self._get_param("ReplicaRegion")
        replica = self.kms_backend.replicate_key(key_id, replica_region)
        target = kms_models.kms_backends[self.current_account][replica_region]
        # moto's replica is a shallow copy of the primary: give it its own attributes.
        replica.aliases = {}
        replica.multi_region_configuration = copy.deepcopy(replica.multi_region_configuration)
        replica.multi_region_configuration["MultiRegionKeyType"] = "REPLICA"
        policy = self._get_param("Policy")
        if policy:
            replica.policy = policy
        description = self._get_param("Description")
        if description is not None:
            replica.description = description
        tags = self._get_param("Tags") or []
        if tags:
            target.tag_resource(replica.id, {t["TagKey"]: t.get("TagValue") for t in tags})
        return json.dumps(
            {
                "ReplicaKeyMetadata": replica.to_dict()["KeyMetadata"],
                "ReplicaPolicy": replica.policy,
            }
        )

    kms_responses.KmsResponse.replicate_key = replicate_key


@patch(
    "lambda-logging-config",
    "a function's LoggingConfig is neither stored nor returned, so every plan after the "
    "apply shows the logging_config block as a change",
)
def _lambda_keeps_logging_config():
    from moto.awslambda import models as lambda_models

    function = lambda_models.LambdaFunction
    init = function.__init__
    get_configuration = function.get_configuration
    update_configuration = function.update_configuration

    def __init__(self, account_id, spec, region, version=1):
        init(self, account_id, spec, region, version)
        self.envc_logging_config = {
            "LogFormat": "Text",
            "LogGroup": f"/aws/lambda/{self.function_name}",
            **(spec.get("LoggingConfig") or {}),
        }

    def configuration(self, *args, **kwargs):
        config = get_configuration(self, *args, **kwargs)
        config["LoggingConfig"] = getattr(self, "envc_logging_config", {})
        return config

    def update(self, config_updates):
        if "LoggingConfig" in config_updates:
            self.envc_logging_config.update(config_updates["LoggingConfig"])
        return update_configuration(self, config_updates)

    function.__init__ = __init__
    function.get_configuration = configuration
    function.update_configuration = update


@patch(
    "s3-replication-read-back",
    "GetBucketReplication always answers DeleteMarkerReplication Disabled and drops "
    "SourceSelectionCriteria, so every plan after the apply shows the replication rule as a change",
)
def _replication_reads_back():
    from moto.s3 import responses as s3_responses
    from moto.s3.exceptions import ReplicationConfigurationNotFoundError
    from moto.core.responses import ActionResult

    def get_bucket_replication(self):
        self.data["Action"] = "GetBucketReplication"
        replication = self.backend.get_bucket_replication(self.bucket_name)
        if not replication:
            raise ReplicationConfigurationNotFoundError(bucket_name=self.bucket_name)
        stored = replication["Rule"]
        stored = stored if isinstance(stored, list) else [stored]
        rules = []
        for rule in stored:
            out = {
                "ID": rule["ID"],
                "Priority": rule["Priority"],
                "Status": rule["Status"],
                "DeleteMarkerReplication": rule.get("DeleteMarkerReplication") or {"Status": "Disabled"},
                "Filter": rule.get("Filter") or {"Prefix": ""},
                "Destination": rule["Destination"],
            }
            if rule.get("SourceSelectionCriteria"):
                out["SourceSelectionCriteria"] = rule["SourceSelectionCriteria"]
            rules.append(out)
        return self.serialized(
            ActionResult({"ReplicationConfiguration": {"Role": replication["Role"], "Rules": rules}})
        )

    s3_responses.S3Response.get_bucket_replication = get_bucket_replication


def main():
    for name, _, apply in PATCHES:
        apply()
        print(f"envc_moto: patched {name}", file=sys.stderr, flush=True)
    from moto.server import main as server_main

    server_main(sys.argv[1:])


if __name__ == "__main__":
    if sys.argv[1:2] == ["--list"]:
        for name, limitation, _ in PATCHES:
            print(f"{name}\t{limitation}")
        sys.exit(0)
    print(f"envc_moto: moto {moto.__version__}", file=sys.stderr, flush=True)
    main()
