//! The generated tree is real Terraform: `fmt -check`, `init`, `validate` and
//! an offline `plan` (mock credentials, local backend) for every example root,
//! with assertions on what the plan contains.
//!
//! Needs `terraform` on PATH and the AWS provider mirror in `/opt/tf-plugins`;
//! without them it fails, unless `ENVC_SKIP_TERRAFORM=1` opts out (printed).

use std::fs;

use serde_json::Value;

mod common;
use common::terraform::*;
use common::*;

fn names(resources: &[Value], key: &str) -> Vec<String> {
    let mut v: Vec<String> = resources
        .iter()
        .map(|r| r[key].as_str().unwrap_or_default().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn example_roots_validate_and_plan_offline() {
    if !terraform_available() {
        return;
    }
    let p = example_project();
    let out = envc(p.path(), &["build"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = p.path().join("terraform");
    fmt_check(&tree);
    for env in ["dev", "sit", "prod"] {
        let root = tree.join("environments").join(env);
        let plan = validate_and_plan(&root);
        let tables = planned(&plan, "aws_dynamodb_table");
        assert_eq!(tables.len(), 4, "{env}: expected 4 tables");
        for t in &tables {
            assert_eq!(t["billing_mode"], "PAY_PER_REQUEST", "{env}: {}", t["name"]);
            assert_eq!(
                t["point_in_time_recovery"][0]["enabled"], true,
                "{env}: {} has no PITR",
                t["name"]
            );
            assert_eq!(t["server_side_encryption"][0]["enabled"], true, "{env}");
            let replicas: Vec<&Value> = t["replica"].as_array().into_iter().flatten().collect();
            if env == "prod" {
                assert_eq!(replicas.len(), 1, "prod: {} needs a replica", t["name"]);
                assert_eq!(replicas[0]["region_name"], "eu-west-1");
            } else {
                assert!(
                    replicas.is_empty(),
                    "{env}: {} must not replicate",
                    t["name"]
                );
            }
        }
        let keys = planned(&plan, "aws_kms_key");
        assert!(
            !keys.is_empty() && keys.iter().all(|k| k["enable_key_rotation"] == true),
            "{env}: KMS key with rotation"
        );
        // A new key is single-Region (turning replication on later must not replace it);
        // replication gets a key of its own in the failover region.
        assert!(
            keys.iter().all(|k| k["multi_region"] == false),
            "{env}: keys are created single-Region"
        );
        assert_eq!(keys.len(), if env == "prod" { 2 } else { 1 }, "{env}: keys");
        assert_example_plan(env, &plan);
        eprintln!(
            "terraform: {env} validated and planned ({} resources, {} tables)",
            planned_all(&plan).len(),
            tables.len()
        );
    }
}

/// What every example root plans beyond its tables (SPEC §4–§5 and the README).
fn assert_example_plan(env: &str, plan: &Value) {
    let prod = env == "prod";
    let p = |ty: &str| planned(plan, ty);

    // IAM: one role per function, plus the role API Gateway logs with (and, with
    // replication, the S3 replication role).
    let functions = [
        "assignments-api",
        "audit-export",
        "authenticate",
        "authorizer",
        "roles-api",
        "users-api",
    ];
    let mut want: Vec<String> = functions.iter().map(|f| format!("am-{env}-{f}")).collect();
    want.push(format!("am-{env}-api-gateway-cloudwatch"));
    if prod {
        want.push(format!("am-{env}-audit-replication"));
    }
    want.sort();
    assert_eq!(names(&p("aws_iam_role"), "name"), want, "{env}: IAM roles");
    assert_eq!(p("aws_iam_policy").len(), 6 + usize::from(prod), "{env}");
    let attachments = p("aws_iam_role_policy_attachment");
    // One per function, one X-Ray attachment per function where tracing is on, the
    // API Gateway logging policy, the replication policy.
    let xray = if prod { 6 } else { 0 };
    assert_eq!(
        attachments.len(),
        6 + xray + 1 + usize::from(prod),
        "{env}: attachments"
    );

    // API Gateway: the REST API, 15 routes, each with a Lambda proxy integration, the
    // Cognito authorizer, the stage behind a WAF web ACL.
    assert_eq!(p("aws_api_gateway_rest_api").len(), 1, "{env}: REST API");
    let methods = p("aws_api_gateway_method");
    assert_eq!(methods.len(), 15, "{env}: methods");
    let public: Vec<&Value> = methods
        .iter()
        .filter(|m| m["authorization"] == "NONE")
        .collect();
    assert_eq!(
        public.len(),
        2,
        "{env}: only the two token routes are public"
    );
    assert!(
        methods
            .iter()
            .all(|m| m["authorization"] == "NONE" || m["authorization"] == "COGNITO_USER_POOLS")
    );
    let integrations = p("aws_api_gateway_integration");
    assert_eq!(integrations.len(), 15, "{env}: integrations");
    for i in &integrations {
        assert_eq!(i["type"], "AWS_PROXY", "{env}");
    }
    for i in &integrations {
        let uri = i["uri"].as_str().unwrap_or_default();
        assert!(
            uri.contains(&format!(":function:am-{env}-")),
            "{env}: {uri}"
        );
    }
    // Each integration invokes a function the tree creates: the API is applied after
    // the lambda module, so that the functions exist before their permissions.
    let gateway = &plan["configuration"]["root_module"]["module_calls"]["api_gateway"];
    let after: Vec<&str> = gateway["depends_on"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d.as_str())
        .collect();
    assert!(
        after.contains(&"module.lambda"),
        "{env}: api_gateway after lambda: {after:?}"
    );

    // Lambda: envc owns each function, created from the placeholder package the tree
    // uploads; the code is the pipeline's.
    let functions = p("aws_lambda_function");
    let mut want: Vec<String> = [
        "assignments-api",
        "audit-export",
        "authenticate",
        "authorizer",
        "roles-api",
        "users-api",
    ]
    .iter()
    .map(|f| format!("am-{env}-{f}"))
    .collect();
    want.sort();
    assert_eq!(names(&functions, "function_name"), want, "{env}: functions");
    for f in &functions {
        assert_eq!(f["runtime"], "python3.12", "{env}");
        assert_eq!(f["handler"], "app.handler", "{env}");
        assert_eq!(f["architectures"][0], "arm64", "{env}");
        assert_eq!(
            f["s3_key"].as_str().map(|k| k.starts_with("placeholders/")),
            Some(true),
            "{env}"
        );
        assert_eq!(
            f["reserved_concurrent_executions"], -1,
            "{env}: no reservation by default"
        );
        assert_eq!(
            f["tracing_config"][0]["mode"],
            if prod { "Active" } else { "PassThrough" },
            "{env}: tracing follows features.xray-tracing"
        );
    }
    let authenticate = functions
        .iter()
        .find(|f| f["function_name"] == format!("am-{env}-authenticate"))
        .expect("authenticate");
    assert_eq!(
        authenticate["memory_size"],
        if prod { 512 } else { 256 },
        "{env}: memory, overridden in prod"
    );
    assert_eq!(
        authenticate["environment"][0]["variables"]["LOG_LEVEL"], "info",
        "{env}: the project's environment variables"
    );
    let users = functions
        .iter()
        .find(|f| f["function_name"] == format!("am-{env}-users-api"))
        .expect("users-api");
    assert_eq!(
        users["environment"][0]["variables"]["LOG_LEVEL"].as_str(),
        (env == "dev").then_some("debug"),
        "{env}: dev's environment variables"
    );
    let placeholders = p("aws_s3_object");
    assert_eq!(
        placeholders.len(),
        6,
        "{env}: one placeholder package per function"
    );
    assert!(
        placeholders.iter().all(|o| o["content_base64"]
            .as_str()
            .is_some_and(|c| c.starts_with("UEsD"))),
        "{env}: zip packages"
    );
    assert_eq!(
        p("aws_api_gateway_resource").len(),
        12,
        "{env}: resource tree"
    );
    let authorizers = p("aws_api_gateway_authorizer");
    assert_eq!(authorizers.len(), 1, "{env}: authorizer");
    assert_eq!(authorizers[0]["type"], "COGNITO_USER_POOLS");
    assert_eq!(
        p("aws_lambda_permission").len(),
        6,
        "{env}: lambda permissions"
    );
    let stages = p("aws_api_gateway_stage");
    assert_eq!(stages.len(), 1, "{env}: stage");
    assert_eq!(stages[0]["stage_name"], "v1");
    assert_eq!(stages[0]["xray_tracing_enabled"], prod, "{env}: X-Ray");
    assert_eq!(p("aws_wafv2_web_acl").len(), 1, "{env}: WAF");
    assert_eq!(
        p("aws_wafv2_web_acl_association").len(),
        1,
        "{env}: WAF association"
    );

    // Cognito: the user pool and its two clients.
    let pools = p("aws_cognito_user_pool");
    assert_eq!(pools.len(), 1, "{env}: user pool");
    assert_eq!(pools[0]["name"], format!("am-{env}-users"));
    assert_eq!(pools[0]["mfa_configuration"], "ON");
    assert_eq!(pools[0]["password_policy"][0]["minimum_length"], 14);
    assert_eq!(
        pools[0]["user_pool_add_ons"][0]["advanced_security_mode"],
        if prod { "ENFORCED" } else { "OFF" },
        "{env}"
    );
    let clients = p("aws_cognito_user_pool_client");
    assert_eq!(
        names(&clients, "name"),
        [format!("am-{env}-admin-console"), format!("am-{env}-web")],
        "{env}: clients"
    );
    for c in &clients {
        assert_eq!(
            c["generate_secret"],
            c["name"] != format!("am-{env}-web"),
            "{env}: only the confidential client has a secret"
        );
    }

    // S3: the audit bucket (and its replica in prod only) and the functions' package
    // bucket, every bucket locked down.
    let region = if prod { "af-south-1" } else { "eu-west-1" };
    let account = match env {
        "dev" => "111111111111",
        "sit" => "222222222222",
        _ => "333333333333",
    };
    let mut want = vec![
        format!("am-{env}-audit-{account}-{region}"),
        format!("am-{env}-lambda-packages-{account}-{region}"),
    ];
    if prod {
        want.push(format!("am-{env}-audit-{account}-eu-west-1"));
    }
    want.sort();
    assert_eq!(names(&p("aws_s3_bucket"), "bucket"), want, "{env}: buckets");
    let blocks = p("aws_s3_bucket_public_access_block");
    assert_eq!(blocks.len(), want.len(), "{env}: public access blocks");
    for b in &blocks {
        for k in [
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        ] {
            assert_eq!(b[k], true, "{env}: {k}");
        }
    }
    let lifecycles = p("aws_s3_bucket_lifecycle_configuration");
    assert_eq!(lifecycles.len(), want.len(), "{env}: lifecycles");
    for l in lifecycles
        .iter()
        .filter(|l| l["rule"][0]["id"] == "hot-warm-cold")
    {
        let rule = &l["rule"][0];
        let mut days: Vec<(i64, String)> = rule["transition"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| {
                (
                    t["days"].as_i64().unwrap_or(-1),
                    t["storage_class"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        days.sort(); // a set in the plan
        assert_eq!(
            days,
            [
                (30, "STANDARD_IA".to_string()),
                (90, "GLACIER".to_string()),
                (365, "DEEP_ARCHIVE".to_string())
            ],
            "{env}"
        );
        assert_eq!(rule["expiration"][0]["days"], 2555, "{env}");
    }
    // The policy documents name the buckets' ARNs: unknown until apply, so only counted here.
    assert_eq!(
        p("aws_s3_bucket_policy").len(),
        want.len(),
        "{env}: bucket policies"
    );
    assert_eq!(
        p("aws_s3_bucket_versioning").len(),
        want.len(),
        "{env}: versioning"
    );
    let sse = p("aws_s3_bucket_server_side_encryption_configuration");
    assert_eq!(sse.len(), want.len(), "{env}");
    for e in &sse {
        assert_eq!(
            e["rule"][0]["apply_server_side_encryption_by_default"][0]["sse_algorithm"],
            "aws:kms"
        );
    }
    let replication = p("aws_s3_bucket_replication_configuration");
    assert_eq!(
        replication.len(),
        usize::from(prod),
        "{env}: replication configuration in prod only"
    );
    assert_eq!(
        p("aws_kms_replica_key").len(),
        0,
        "{env}: a fresh tree has no multi-Region replica key"
    );
    // Object Lock: on by default for PROD's audit bucket and its replica, off elsewhere.
    let locks = p("aws_s3_bucket_object_lock_configuration");
    assert_eq!(locks.len(), if prod { 2 } else { 0 }, "{env}: Object Lock");
    for l in &locks {
        let retention = &l["rule"][0]["default_retention"][0];
        assert_eq!(retention["mode"], "GOVERNANCE", "{env}");
        assert_eq!(retention["days"], 365, "{env}");
    }
    // Cognito callback URLs per environment (the project's by default).
    let web = clients
        .iter()
        .find(|c| c["name"] == format!("am-{env}-web"))
        .expect("web client");
    let web_urls: Vec<&str> = web["callback_urls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u.as_str())
        .collect();
    let mut want_urls = match env {
        "dev" => vec![
            "http://localhost:3000/callback",
            "https://dev.app.example.com/callback",
        ],
        "sit" => vec!["https://sit.app.example.com/callback"],
        _ => vec!["https://app.example.com/callback"],
    };
    want_urls.sort();
    let mut got_urls = web_urls.clone();
    got_urls.sort();
    assert_eq!(got_urls, want_urls, "{env}: callback URLs");
    let api = &p("aws_api_gateway_rest_api")[0];
    assert_eq!(
        api["description"],
        format!("Access Management API: users, roles and their assignments (am-{env})."),
        "{env}: the API's description comes from the project"
    );

    // CloudWatch: log groups with retention and KMS (the functions', the API's access,
    // WAF and execution logs), alarms, the dashboard, the alert topic.
    let log_groups = p("aws_cloudwatch_log_group");
    assert_eq!(log_groups.len(), 6 + 3, "{env}: log groups");
    let retention = match env {
        "dev" => 14,
        "sit" => 30,
        _ => 365,
    };
    for g in &log_groups {
        assert_eq!(g["retention_in_days"], retention, "{env}: {}", g["name"]);
    }
    // API Gateway's account setting: owned by this root (one environment per account and region).
    assert_eq!(
        p("aws_api_gateway_account").len(),
        1,
        "{env}: account setting"
    );
    let alarms = p("aws_cloudwatch_metric_alarm");
    assert_eq!(alarms.len(), 2 + 2 * 4, "{env}: alarms");
    let latency = alarms
        .iter()
        .find(|a| a["alarm_name"] == format!("am-{env}-api-latency-p99"))
        .expect("latency alarm");
    assert_eq!(
        latency["threshold"],
        if prod { 1500.0 } else { 2000.0 },
        "{env}: threshold override"
    );
    assert_eq!(p("aws_cloudwatch_dashboard").len(), 1, "{env}: dashboard");
    let topics = p("aws_sns_topic");
    assert_eq!(topics.len(), 1, "{env}: SNS topic");
    assert_eq!(topics[0]["name"], format!("am-{env}-alerts"));
    assert_eq!(
        p("aws_sns_topic_subscription").len(),
        if prod { 2 } else { 1 },
        "{env}: e-mail subscriptions"
    );

    // Flags: one SecureString parameter per flag.
    let flags = p("aws_ssm_parameter");
    assert_eq!(flags.len(), if prod { 3 } else { 2 }, "{env}: flags");
    assert!(flags.iter().all(|f| f["type"] == "SecureString"));
    assert!(
        flags
            .iter()
            .any(|f| f["name"] == format!("/access-management/{env}/flags/new-login-page")),
        "{env}: flag parameter path"
    );
}

/// A project: its name, `envc.kdl`, and its environment files (stem, text).
type Case = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// Projects that lack the optional parts: every template must still give valid roots.
#[test]
fn minimal_projects_validate_and_plan_offline() {
    if !terraform_available() {
        return;
    }
    const DEV: &str = "tier \"DEV\"\nregion \"eu-west-1\"\naccount-id \"111111111111\"\n";
    let cases: &[Case] = &[
        // Nothing but the project: the cloudwatch module (alert topic, dashboard) and the root.
        ("empty", "project \"empty\"\n", &[("dev", DEV)]),
        // A table and nothing else: no iam, api-gateway, cognito or s3-audit module.
        (
            "table-only",
            "project \"tiny\"\ntable \"items\" hash-key=\"id\" {\n    attribute \"id\" type=\"S\"\n}\n",
            &[("dev", DEV)],
        ),
        // A public API without a user pool, a bucket, no tables; replication on.
        (
            "public-api",
            "project \"hooks\"\nprefix \"hk\"\nfunction \"receiver\" {\n    runtime \"nodejs22.x\"\n    handler \"index.handler\"\n    bucket \"inbox\" access=\"write\"\n}\napi {\n    stage \"live\"\n    route \"POST /hooks/{proxy+}\" function=\"receiver\" auth=#false\n    route \"GET /\" function=\"receiver\" auth=#false\n}\nbucket \"inbox\" {\n    warm-after-days 30\n    cold-after-days 60\n    archive-after-days 150\n    expire-after-days 400\n    noncurrent-expire-after-days 30\n}\n",
            &[
                ("dev", DEV),
                (
                    "prod",
                    "tier \"PROD\"\nregion \"eu-central-1\"\nfailover-region \"eu-west-1\"\ncross-region-replication #true\naccount-id \"222222222222\"\n",
                ),
                // dev's account and region: dev owns their settings, qa does not.
                (
                    "qa",
                    "tier \"SIT\"\nregion \"eu-west-1\"\naccount-id \"111111111111\"\nowns-account-settings #false\n",
                ),
            ],
        ),
    ];
    for (name, project, envs) in cases {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("envc.kdl"), project).unwrap();
        fs::create_dir_all(tmp.path().join("environments")).unwrap();
        for (env, text) in *envs {
            fs::write(tmp.path().join(format!("environments/{env}.kdl")), text).unwrap();
        }
        let out = envc(tmp.path(), &["build"]);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let tree = tmp.path().join("terraform");
        fmt_check(&tree);
        for (env, _) in *envs {
            let plan = validate_and_plan(&tree.join("environments").join(env));
            let count = |ty: &str| planned(&plan, ty).len();
            match *name {
                "empty" => {
                    assert_eq!(count("aws_sns_topic"), 1);
                    assert_eq!(
                        count("aws_dynamodb_table")
                            + count("aws_iam_role")
                            + count("aws_s3_bucket"),
                        0
                    );
                }
                "table-only" => {
                    assert_eq!(count("aws_dynamodb_table"), 1);
                    assert_eq!(count("aws_cloudwatch_metric_alarm"), 2);
                    assert_eq!(count("aws_iam_role") + count("aws_api_gateway_rest_api"), 0);
                }
                _ => {
                    let prod = *env == "prod";
                    assert_eq!(count("aws_api_gateway_method"), 2, "{env}");
                    assert_eq!(count("aws_api_gateway_authorizer"), 0, "{env}");
                    assert_eq!(count("aws_cognito_user_pool"), 0, "{env}");
                    assert_eq!(count("aws_dynamodb_table"), 0, "{env}");
                    assert_eq!(
                        count("aws_s3_bucket"),
                        2 + usize::from(prod),
                        "{env}: inbox (and its replica), packages"
                    );
                    assert_eq!(count("aws_lambda_function"), 1, "{env}");
                    assert_eq!(
                        count("aws_s3_bucket_replication_configuration"),
                        usize::from(prod),
                        "{env}"
                    );
                    assert_eq!(count("aws_kms_key"), 1 + usize::from(prod), "{env}");
                    let owner = *env != "qa";
                    assert_eq!(
                        count("aws_iam_role"),
                        1 + usize::from(owner) + usize::from(prod),
                        "{env}: function, API logging (the owner of the account settings), replication"
                    );
                    assert_eq!(
                        count("aws_api_gateway_account"),
                        usize::from(owner),
                        "{env}: the account setting, once per account and region"
                    );
                }
            }
            eprintln!(
                "terraform: minimal project {name}/{env} validated and planned ({} resources)",
                planned_all(&plan).len()
            );
        }
    }
}

/// The files SPEC §5 lists, for every module and root of the example (no terraform needed).
#[test]
fn every_spec_file_is_generated() {
    let p = example_project();
    let out = envc(p.path(), &["build"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = read_tree(&p.path().join("terraform"));
    let spec: &[(&str, &[&str])] = &[
        (
            "modules/dynamodb",
            &["main.tf", "gsi.tf", "pitr.tf", "variables.tf", "outputs.tf"],
        ),
        (
            "modules/iam",
            &["main.tf", "policies.tf", "variables.tf", "outputs.tf"],
        ),
        (
            "modules/lambda",
            &["main.tf", "packages.tf", "variables.tf", "outputs.tf"],
        ),
        (
            "modules/account",
            &["main.tf", "variables.tf", "outputs.tf"],
        ),
        (
            "modules/api-gateway",
            &[
                "main.tf",
                "routes.tf",
                "integrations.tf",
                "variables.tf",
                "outputs.tf",
            ],
        ),
        (
            "modules/cognito",
            &["main.tf", "variables.tf", "outputs.tf"],
        ),
        (
            "modules/s3-audit",
            &[
                "main.tf",
                "lifecycle.tf",
                "replication.tf",
                "variables.tf",
                "outputs.tf",
            ],
        ),
        (
            "modules/cloudwatch",
            &[
                "main.tf",
                "alarms.tf",
                "dashboards.tf",
                "sns.tf",
                "variables.tf",
                "outputs.tf",
            ],
        ),
        (
            "environments/dev",
            &[
                "versions.tf",
                "providers.tf",
                "backend.tf",
                "main.tf",
                "variables.tf",
                "outputs.tf",
                "terraform.tfvars",
            ],
        ),
        (
            "environments/sit",
            &[
                "versions.tf",
                "providers.tf",
                "backend.tf",
                "main.tf",
                "variables.tf",
                "outputs.tf",
                "terraform.tfvars",
            ],
        ),
        (
            "environments/prod",
            &[
                "versions.tf",
                "providers.tf",
                "backend.tf",
                "main.tf",
                "variables.tf",
                "outputs.tf",
                "terraform.tfvars",
            ],
        ),
    ];
    for (dir, files) in spec {
        for f in *files {
            assert!(
                tree.contains_key(&format!("{dir}/{f}")),
                "missing {dir}/{f}"
            );
        }
    }
    // Least privilege: no wildcard action in the policies envc writes for functions and
    // for S3 replication (checked in the text: the plan does not know the documents, which
    // name ARNs created at apply).
    for file in ["modules/iam/policies.tf", "modules/s3-audit/replication.tf"] {
        let text = String::from_utf8_lossy(&tree[file]).into_owned();
        // The Action lines of Allow statements (Effect comes before Action in envc's policies).
        let mut allow = false;
        let mut actions = Vec::new();
        for line in text.lines().map(str::trim_start) {
            if line.starts_with("Effect ") {
                allow = line.ends_with("\"Allow\"");
            } else if line.starts_with("Action ") && allow {
                actions.push(line);
            }
        }
        assert!(!actions.is_empty(), "{file}: no Action lines");
        for line in actions {
            assert!(!line.contains('*'), "{file}: wildcard action: {line}");
        }
    }
    // Only prod replicates: no failover provider elsewhere.
    for env in ["dev", "sit", "prod"] {
        let providers = String::from_utf8_lossy(&tree[&format!("environments/{env}/providers.tf")])
            .into_owned();
        assert_eq!(
            providers.contains("alias"),
            env == "prod",
            "{env}: aws.failover only with replication"
        );
    }
}
