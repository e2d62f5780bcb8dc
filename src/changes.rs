//! Changes: what applying a newly generated tree over the previous one would
//! replace or delete, said before it happens.
//!
//! Takes the previous generated tree (as on disk or as committed) and a new
//! [`Compiled`] one, and returns warnings: a stateful resource (KMS key,
//! table, bucket, user pool, log group, secret, parameter, function) whose
//! identity changes (it will be replaced) or that is no longer generated (it
//! will be destroyed), unless a `moved` or `removed` block of the new tree
//! accounts for it; and Object Lock newly turned on for a bucket (it cannot
//! be turned off). Everything else in a tree changes in place.
//!
//! It reads Terraform text with `hcl-rs`, compares resource blocks by address
//! and the expressions of their replacing arguments, and the identity values
//! of each root's `terraform.tfvars` (region, account, environment name),
//! which every name is built from. It knows the generated tree's shape, not
//! Terraform's semantics: it is a warning, not a plan.
//!
//! Each warning points at the input key that set what changes (a table's `hash-key`,
//! the environment's `region`, the `object-lock` that turns Object Lock on), found
//! through the model's origins ([`crate::origin::Placer`], the mechanism `envc explain`
//! uses), which are computed only when there is something to warn about.

use std::collections::{BTreeMap, BTreeSet};

use hcl::{Block, Body, Expression, ObjectKey};

use crate::Compiled;
use crate::diag::{Diagnostic, Span};
use crate::model::{Project, ident};
use crate::origin::Placer;

/// Resource types that hold data (or, for a function, its deployed code), with the
/// arguments whose change makes Terraform replace them (the provider's ForceNew).
const STATEFUL: &[(&str, &str, &[&str])] = &[
    (
        "aws_kms_key",
        "KMS key",
        &["multi_region", "key_usage", "customer_master_key_spec"],
    ),
    (
        "aws_kms_replica_key",
        "KMS replica key",
        &["primary_key_arn"],
    ),
    (
        "aws_dynamodb_table",
        "DynamoDB table",
        &["name", "hash_key", "range_key"],
    ),
    (
        "aws_s3_bucket",
        "S3 bucket",
        &["bucket", "bucket_prefix", "object_lock_enabled"],
    ),
    (
        "aws_cognito_user_pool",
        "user pool",
        &["name", "username_attributes", "alias_attributes"],
    ),
    (
        "aws_cloudwatch_log_group",
        "log group",
        &["name", "name_prefix"],
    ),
    (
        "aws_secretsmanager_secret",
        "secret",
        &["name", "name_prefix"],
    ),
    ("aws_ssm_parameter", "SSM parameter", &["name"]),
    ("aws_lambda_function", "Lambda function", &["function_name"]),
];

/// Values of a root's `terraform.tfvars` that every AWS name or the provider's region is
/// made of, with the environment's model value that sets each.
const IDENTITY_VARS: &[(&str, &str)] = &[
    ("env_name", "/name"),
    ("region", "/region"),
    ("account_id", "/account_id"),
];

/// One stateful resource block of a tree.
struct Resource {
    /// `modules/dynamodb` or `environments/dev`.
    scope: String,
    ty: String,
    name: String,
    /// Replacing arguments (and `provider`) → their expression as text.
    identity: BTreeMap<String, String>,
}

impl Resource {
    /// The address a root sees (`module.dynamodb.aws_dynamodb_table.users`).
    fn address(&self) -> String {
        match self.scope.strip_prefix("modules/") {
            Some(m) => format!("module.{}.{}.{}", ident(m), self.ty, self.name),
            None => format!("{}.{}", self.ty, self.name),
        }
    }
}

/// The directory of a generated file: `modules/<m>` or `environments/<env>`.
fn scope(path: &str) -> Option<&str> {
    let mut parts = path.splitn(3, '/');
    let (a, b) = (parts.next()?, parts.next()?);
    parts.next()?;
    Some(&path[..a.len() + 1 + b.len()])
}

fn text(expr: &Expression) -> String {
    hcl::format::to_string(expr).unwrap_or_default()
}

fn attr<'a>(body: &'a Body, key: &str) -> Option<&'a Expression> {
    body.attributes()
        .find(|a| a.key.as_str() == key)
        .map(|a| &a.expr)
}

fn ignored(block: &Block) -> BTreeSet<String> {
    block
        .body
        .blocks()
        .filter(|b| b.identifier() == "lifecycle")
        .filter_map(|b| attr(&b.body, "ignore_changes"))
        .flat_map(|e| match e {
            Expression::Array(items) => items.iter().map(text).collect(),
            other => vec![text(other)],
        })
        .collect()
}

/// Every stateful resource, `moved`/`removed` source address and tfvars file of a tree.
#[derive(Default)]
struct Tree {
    resources: BTreeMap<(String, String, String), Resource>,
    /// Root → addresses its moved blocks move from, and those its removed blocks forget.
    accounted: BTreeSet<String>,
    tfvars: BTreeMap<String, Body>,
    /// Root → its `local.name_prefix` expression.
    prefixes: BTreeMap<String, String>,
}

fn read(files: &BTreeMap<String, String>) -> Tree {
    let mut tree = Tree::default();
    for (path, text_) in files {
        let Some(scope) = scope(path) else { continue };
        if path.ends_with("terraform.tfvars") {
            if let Ok(body) = hcl::parse(text_) {
                tree.tfvars.insert(scope.to_string(), body);
            }
            continue;
        }
        if !path.ends_with(".tf") {
            continue;
        }
        // A file that does not parse (hand-broken) has nothing to compare.
        let Ok(body) = hcl::parse(text_) else {
            continue;
        };
        for block in body.blocks() {
            let labels: Vec<&str> = block.labels().iter().map(|l| l.as_str()).collect();
            match (block.identifier(), labels.as_slice()) {
                ("resource", [ty, name]) => {
                    let Some((_, _, args)) = STATEFUL.iter().find(|(t, _, _)| t == ty) else {
                        continue;
                    };
                    let skip = ignored(block);
                    let mut identity: BTreeMap<String, String> = args
                        .iter()
                        .filter(|a| !skip.contains(**a))
                        .filter_map(|a| attr(&block.body, a).map(|e| (a.to_string(), text(e))))
                        .collect();
                    if let Some(p) = attr(&block.body, "provider") {
                        identity.insert("provider".into(), text(p));
                    }
                    tree.resources.insert(
                        (scope.to_string(), ty.to_string(), name.to_string()),
                        Resource {
                            scope: scope.to_string(),
                            ty: ty.to_string(),
                            name: name.to_string(),
                            identity,
                        },
                    );
                }
                ("moved", []) => {
                    if let Some(from) = attr(&block.body, "from") {
                        tree.accounted.insert(strip_index(&text(from)));
                    }
                }
                ("removed", []) => {
                    let kept = block
                        .body
                        .blocks()
                        .filter(|b| b.identifier() == "lifecycle")
                        .any(|b| attr(&b.body, "destroy").is_some_and(|e| text(e) == "false"));
                    if let (true, Some(from)) = (kept, attr(&block.body, "from")) {
                        tree.accounted.insert(strip_index(&text(from)));
                    }
                }
                ("locals", []) => {
                    if let Some(p) = attr(&block.body, "name_prefix") {
                        tree.prefixes.insert(scope.to_string(), text(p));
                    }
                }
                _ => {}
            }
        }
    }
    tree
}

/// `aws_kms_replica_key.failover[0]` → `aws_kms_replica_key.failover`.
fn strip_index(address: &str) -> String {
    match address.rfind('[') {
        Some(i) if address.ends_with(']') => address[..i].to_string(),
        _ => address.to_string(),
    }
}

fn keys(expr: Option<&Expression>) -> BTreeMap<String, &Expression> {
    match expr {
        Some(Expression::Object(o)) => o
            .iter()
            .map(|(k, v)| {
                let key = match k {
                    ObjectKey::Identifier(i) => i.to_string(),
                    ObjectKey::Expression(Expression::String(s)) => s.clone(),
                    ObjectKey::Expression(e) => text(e),
                    _ => String::new(),
                };
                (key, v)
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// Where the inputs name a resource of the tree: the project key of its table,
/// bucket, function, API or user pool (of the attribute that changed, when the model has
/// it), or the environment file of a root resource.
fn place(c: &Compiled, at: &Placer, r: &Resource, attr: Option<&str>) -> Option<Span> {
    let p: &Project = &c.project;
    let named = |list: &str, names: Vec<&str>| -> Option<Span> {
        let base = r.name.trim_end_matches("_replica");
        let i = names.into_iter().position(|n| ident(n) == base)?;
        let item = format!("/{list}/{i}");
        attr.and_then(|a| at.project(&format!("{item}/{a}")))
            .or_else(|| at.project(&item))
    };
    match r.scope.as_str() {
        "modules/dynamodb" => named("tables", p.tables.iter().map(|t| t.name.as_str()).collect()),
        "modules/s3-audit" => named(
            "buckets",
            p.buckets.iter().map(|b| b.name.as_str()).collect(),
        ),
        "modules/lambda" | "modules/cloudwatch"
            if r.name != "api_access" && r.name != "api_waf" =>
        {
            named(
                "functions",
                p.functions.iter().map(|f| f.name.as_str()).collect(),
            )
            .or_else(|| at.project("/functions/0"))
        }
        "modules/cloudwatch" | "modules/api-gateway" => at.project("/api"),
        "modules/cognito" => at.project("/user_pool"),
        root => {
            let env = root.strip_prefix("environments/")?;
            let e = c.environments.iter().find(|e| e.name == env)?;
            at.environment(e, "/name")
        }
    }
}

fn noun(ty: &str) -> &'static str {
    STATEFUL
        .iter()
        .find(|(t, _, _)| *t == ty)
        .map_or("resource", |(_, n, _)| n)
}

/// The directories (`modules/<m>`, `environments/<env>`) of some generated paths: a
/// directory none of whose files changed has nothing to warn about.
pub fn scopes<'a>(paths: impl IntoIterator<Item = &'a String>) -> BTreeSet<String> {
    paths
        .into_iter()
        .filter_map(|p| scope(p).map(str::to_string))
        .collect()
}

/// Whether a generated path is in one of `scopes`.
pub fn in_scopes(scopes: &BTreeSet<String>, path: &str) -> bool {
    scope(path).is_some_and(|s| scopes.contains(s))
}

/// Warnings about what applying the `current` tree over the `previous` one replaces,
/// destroys or makes permanent. Both map generated paths (relative to the output
/// directory) to text, and hold whole directories: the caller may leave out the
/// directories whose files are all unchanged ([`scopes`]). `compiled` places the
/// warnings in the inputs. Only roots `compiled` has are compared; modules always are.
pub fn warnings(
    previous: &BTreeMap<String, String>,
    current: &BTreeMap<String, String>,
    compiled: &Compiled,
) -> Vec<Diagnostic> {
    let old = read(previous);
    let at = Placer::new(&compiled.sources, &compiled.project);
    // An environment's value, else its file.
    let in_env = |env: &crate::model::Environment, path: &str| {
        at.environment(env, path)
            .or_else(|| at.environment(env, "/name"))
    };
    // Only directories that existed before can lose or replace something: a new
    // environment's or module's files are not parsed (a cold build of a thousand
    // environments would pay for it), only looked at for Object Lock below.
    let old_scopes: BTreeSet<&str> = previous.keys().filter_map(|p| scope(p)).collect();
    let new = read(
        &current
            .iter()
            .filter(|(p, _)| scope(p).is_some_and(|s| old_scopes.contains(s)))
            .map(|(p, t)| (p.clone(), t.clone()))
            .collect(),
    );
    let changed_roots: BTreeSet<&str> = current.keys().filter_map(|p| scope(p)).collect();
    let mut out = Vec::new();
    let envs: BTreeSet<String> = compiled
        .environments
        .iter()
        .map(|e| format!("environments/{}", e.name))
        .collect();
    let in_scope = |scope: &str| scope.starts_with("modules/") || envs.contains(scope);
    let where_ = |scope: &str| match scope.strip_prefix("environments/") {
        Some(env) => format!("in environment `{env}`"),
        None => "in every environment".to_string(),
    };

    // A root whose identity changes replaces everything: say that once, not per resource.
    let mut replaced_roots = BTreeSet::new();
    for env in &compiled.environments {
        let root = format!("environments/{}", env.name);
        let (Some(before), Some(after)) = (old.tfvars.get(&root), new.tfvars.get(&root)) else {
            continue;
        };
        for (var, pointer) in IDENTITY_VARS {
            let (a, b) = (attr(before, var).map(text), attr(after, var).map(text));
            if a != b {
                replaced_roots.insert(root.clone());
                out.push(
                    Diagnostic::warning(
                        "envc::changes::replace-all",
                        format!(
                            "changing `{var}` from {} to {} replaces every resource of environment `{}`, its tables, buckets and keys included",
                            a.unwrap_or_default(), b.unwrap_or_default(), env.name
                        ),
                    )
                    .at_opt(in_env(env, pointer))
                    .label("every AWS name (or the region) of the root changes")
                    .help("create a new environment instead, and move the data before removing the old one"),
                );
            }
        }
        if let (Some(a), Some(b)) = (old.prefixes.get(&root), new.prefixes.get(&root))
            && a != b
            && !replaced_roots.contains(&root)
        {
            replaced_roots.insert(root.clone());
            out.push(
                Diagnostic::warning(
                    "envc::changes::replace-all",
                    format!(
                        "the name prefix of environment `{}` changes from {a} to {b}: every named resource is replaced, its tables and buckets included",
                        env.name
                    ),
                )
                .at_opt(at.project("/prefix"))
                .label("every generated AWS name starts with the prefix"),
            );
        }
    }

    for (key, before) in &old.resources {
        if !in_scope(&before.scope) || replaced_roots.contains(&before.scope) {
            continue;
        }
        match new.resources.get(key) {
            Some(after) => {
                let changed: Vec<&String> = before
                    .identity
                    .iter()
                    .filter(|(k, v)| after.identity.get(*k).is_some_and(|w| w != *v))
                    .map(|(k, _)| k)
                    .chain(
                        after
                            .identity
                            .keys()
                            .filter(|k| !before.identity.contains_key(*k) && *k == "provider"),
                    )
                    .collect();
                if let Some(first) = changed.first() {
                    out.push(
                        Diagnostic::warning(
                            "envc::changes::replace",
                            format!(
                                "{} `{}` will be replaced {}: its `{}` {}, and the old one is destroyed with its data",
                                noun(&before.ty),
                                after.address(),
                                where_(&after.scope),
                                changed.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("` and `"),
                                if changed.len() == 1 { "changes" } else { "change" }
                            ),
                        )
                        .at_opt(place(compiled, &at, after, Some(first)))
                        .label("this change replaces it")
                        .help("a replacement by nature: keep the old value to keep the resource"),
                    );
                }
            }
            None => {
                let address = before.address();
                let moved = new.accounted.contains(&address);
                if !moved {
                    out.push(
                        Diagnostic::warning(
                            "envc::changes::destroy",
                            format!(
                                "{} `{address}` is no longer generated: applying the tree destroys it {}",
                                noun(&before.ty),
                                where_(&before.scope)
                            ),
                        )
                        .help("if that is not meant, restore the input that made it"),
                    );
                }
            }
        }
    }

    // Resources made per entry of a tfvars map: flags (SSM parameters).
    for env in &compiled.environments {
        let root = format!("environments/{}", env.name);
        if replaced_roots.contains(&root) {
            continue;
        }
        let (Some(before), Some(after)) = (old.tfvars.get(&root), new.tfvars.get(&root)) else {
            continue;
        };
        let (a, b) = (keys(attr(before, "flags")), keys(attr(after, "flags")));
        for flag in a.keys().filter(|k| !b.contains_key(*k)) {
            out.push(
                Diagnostic::warning(
                    "envc::changes::destroy",
                    format!(
                        "flag `{flag}` is no longer set in environment `{}`: applying the tree deletes its SSM parameter",
                        env.name
                    ),
                )
                .at_opt(at.environment_key(env, "/flags").or_else(|| in_env(env, "/name")))
                .help("if that is not meant, set the flag again"),
            );
        }
        let was = attr(before, "cross_region_replication").map(text);
        let is = attr(after, "cross_region_replication").map(text);
        if was.as_deref() == Some("true") && is.as_deref() == Some("false") {
            out.push(
                Diagnostic::warning(
                    "envc::changes::destroy",
                    format!(
                        "turning cross-region replication off in environment `{}` destroys the replica tables, the replica buckets and the failover region's key",
                        env.name
                    ),
                )
                .at_opt(in_env(env, "/cross_region_replication"))
                .label("the failover region loses its copies"),
            );
        }
    }

    // Object Lock newly on (also for a root that did not exist before): it stays on.
    for env in &compiled.environments {
        let root = format!("environments/{}", env.name);
        if !changed_roots.contains(root.as_str()) {
            continue; // unchanged root
        }
        let before = old.tfvars.get(&root);
        let was = keys(before.and_then(|b| attr(b, "object_lock")));
        for (i, b) in env.buckets.iter().enumerate() {
            let on_before = was
                .get(&b.name)
                .is_some_and(|e| !matches!(e, Expression::Null));
            if b.object_lock.is_none() || on_before {
                continue;
            }
            out.push(
                Diagnostic::warning(
                    "envc::changes::object-lock",
                    format!(
                        "S3 Object Lock turns on for bucket `{}` in environment `{}`: once applied, it cannot be turned off",
                        b.name, env.name
                    ),
                )
                // The `object-lock` that turns it on, else (on by default) the bucket.
                .at_opt(
                    at.environment(env, &format!("/buckets/{i}/object_lock"))
                        .or_else(|| at.environment(env, &format!("/buckets/{i}"))),
                )
                .label("Object Lock is permanent; only its default retention can change later")
                .help("write-once by design: remove the setting (or set `object-lock #false`) before applying if it is not meant"),
            );
        }
    }
    out.sort_by(|a, b| a.span.cmp(&b.span).then_with(|| a.message.cmp(&b.message)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Inputs, compile};

    const PROJECT: &str = "project \"shop\"\nprefix \"sh\"\n\
        table \"orders\" hash-key=\"id\" {\n    attribute \"id\" type=\"S\"\n}\n\
        table \"carts\" hash-key=\"id\" {\n    attribute \"id\" type=\"S\"\n}\n\
        bucket \"audit\" {\n    warm-after-days 30\n    cold-after-days 60\n    archive-after-days 150\n    expire-after-days 400\n}\n";
    const DEV: &str = "tier \"DEV\"\nregion \"eu-west-1\"\naccount-id \"111111111111\"\nflags {\n    beta #true\n}\n";

    fn compiled(project: &str, dev: &str) -> Compiled {
        let mut files = BTreeMap::new();
        files.insert("envc.kdl".to_string(), project.as_bytes().to_vec());
        files.insert("environments/dev.kdl".to_string(), dev.as_bytes().to_vec());
        compile(&Inputs::from_files(files), &[]).expect("compiles")
    }

    /// The codes and messages of the warnings of going from (project, dev) `a` to `b`.
    fn warned(a: (&str, &str), b: (&str, &str)) -> Vec<(&'static str, String)> {
        let before = compiled(a.0, a.1);
        let after = compiled(b.0, b.1);
        warnings(&before.files, &after.files, &after)
            .into_iter()
            .map(|d| (d.code, d.message))
            .collect()
    }

    #[test]
    fn nothing_changes_nothing_warns() {
        assert_eq!(warned((PROJECT, DEV), (PROJECT, DEV)), vec![]);
    }

    #[test]
    fn stateful_replacements_and_deletions_are_named() {
        for (project, dev, code, names) in [
            (
                PROJECT.replace(
                    "table \"carts\" hash-key=\"id\" {\n    attribute \"id\" type=\"S\"\n}\n",
                    "",
                ),
                DEV.to_string(),
                "envc::changes::destroy",
                "module.dynamodb.aws_dynamodb_table.carts",
            ),
            (
                PROJECT.replace(
                    "table \"orders\" hash-key=\"id\" {\n    attribute \"id\" type=\"S\"\n}",
                    "table \"orders\" hash-key=\"key\" {\n    attribute \"key\" type=\"S\"\n}",
                ),
                DEV.to_string(),
                "envc::changes::replace",
                "module.dynamodb.aws_dynamodb_table.orders",
            ),
            (
                PROJECT.to_string(),
                DEV.replace("eu-west-1", "eu-west-2"),
                "envc::changes::replace-all",
                "`region`",
            ),
            (
                PROJECT.replace("prefix \"sh\"", "prefix \"sp\""),
                DEV.to_string(),
                "envc::changes::replace-all",
                "name prefix",
            ),
            (
                PROJECT.to_string(),
                DEV.replace("    beta #true\n", "    gamma #true\n"),
                "envc::changes::destroy",
                "flag `beta`",
            ),
            (
                PROJECT.to_string(),
                format!("{DEV}bucket \"audit\" {{\n    object-lock #true\n}}\n"),
                "envc::changes::object-lock",
                "bucket `audit`",
            ),
        ] {
            let got = warned((PROJECT, DEV), (&project, &dev));
            assert!(
                got.iter().any(|(c, m)| *c == code && m.contains(names)),
                "{code} naming {names}: {got:?}"
            );
        }
    }

    /// Each warning points at the key that set what changes, found through the origins.
    #[test]
    fn warnings_point_at_the_inputs_that_cause_them() {
        let place = |a: (&str, &str), b: (&str, &str)| -> Vec<(String, (usize, usize))> {
            let before = compiled(a.0, a.1);
            let after = compiled(b.0, b.1);
            warnings(&before.files, &after.files, &after)
                .into_iter()
                .map(|d| {
                    let s = d.span.expect("a warning has a place");
                    let at = after.sources.line_col(&s.file, s.start);
                    (s.file.to_string(), at)
                })
                .collect()
        };
        let envc = |at| vec![("envc.kdl".to_string(), at)];
        let dev = |at| vec![("environments/dev.kdl".to_string(), at)];
        // A table's key: the `hash-key` property.
        let rekeyed = PROJECT.replace(
            "hash-key=\"id\" {\n    attribute \"id\" type=\"S\"\n}\ntable \"carts\"",
            "hash-key=\"key\" {\n    attribute \"key\" type=\"S\"\n}\ntable \"carts\"",
        );
        assert_eq!(place((PROJECT, DEV), (&rekeyed, DEV)), envc((3, 16)));
        // The region: `region` in dev.kdl.
        let moved = DEV.replace("eu-west-1", "eu-west-2");
        assert_eq!(place((PROJECT, DEV), (PROJECT, &moved)), dev((2, 1)));
        // A flag gone: the `flags` block.
        let renamed = DEV.replace("beta", "gamma");
        assert_eq!(place((PROJECT, DEV), (PROJECT, &renamed)), dev((4, 1)));
        // Object Lock set in the environment: its `object-lock`.
        let locked = format!("{DEV}bucket \"audit\" {{\n    object-lock #true\n}}\n");
        assert_eq!(place((PROJECT, DEV), (PROJECT, &locked)), dev((8, 5)));
        // A prefix that defaults to the project's name: the name.
        let unprefixed = PROJECT.replace("prefix \"sh\"\n", "");
        assert_eq!(place((PROJECT, DEV), (&unprefixed, DEV)), envc((1, 1)));
    }

    #[test]
    fn toggles_do_not_warn() {
        for dev in [
            DEV.replace("region \"eu-west-1\"", "region \"eu-west-1\"\ncross-region-replication #true\nfailover-region \"eu-central-1\""),
            format!("{DEV}features {{\n    xray-tracing #true\n    deletion-protection #true\n}}\nlog-retention-days 90\n"),
        ] {
            assert_eq!(warned((PROJECT, DEV), (PROJECT, &dev)), vec![], "{dev}");
        }
    }

    #[test]
    fn moved_blocks_and_ignored_changes_account_for_resources() {
        let before = "resource \"aws_kms_replica_key\" \"failover\" {\n  primary_key_arn = aws_kms_key.main.arn\n}\n\
                      resource \"aws_kms_key\" \"main\" {\n  multi_region = var.cross_region_replication\n}\n";
        let after = "resource \"aws_kms_key\" \"failover2\" {\n}\n\
                     moved {\n  from = aws_kms_replica_key.failover\n  to = aws_kms_key.failover2[0]\n}\n\
                     resource \"aws_kms_key\" \"main\" {\n  multi_region = false\n\n  lifecycle {\n    ignore_changes = [multi_region]\n  }\n}\n";
        let c = compiled(PROJECT, DEV);
        let tree =
            |t: &str| BTreeMap::from([("environments/dev/kms.tf".to_string(), t.to_string())]);
        assert_eq!(warnings(&tree(before), &tree(after), &c), vec![]);
        // Without them: the key flips multi_region (a replacement), the replica key goes.
        let bare = after.replace(
            "  lifecycle {\n    ignore_changes = [multi_region]\n  }\n",
            "",
        );
        let bare = bare.replace(
            "moved {\n  from = aws_kms_replica_key.failover\n  to = aws_kms_key.failover2[0]\n}\n",
            "",
        );
        let codes: Vec<&str> = warnings(&tree(before), &tree(&bare), &c)
            .iter()
            .map(|d| d.code)
            .collect();
        assert_eq!(codes, ["envc::changes::destroy", "envc::changes::replace"]);
    }
}
