//! Rules: the semantic checks the JSON Schema cannot express (SPEC §3–§5).
//!
//! Takes the resolved [`Project`]/[`Environment`] together with the
//! [`Document`]s they came from, and returns every violation as a
//! [`Diagnostic`] placed at the input that caused it (a reference at the
//! reference, a generated name at the key that made it). It changes nothing
//! and renders nothing.

use std::collections::{BTreeMap, BTreeSet};

use crate::aws::{self, NameKind};
use crate::diag::{Diagnostic, Span, Suggestion, Syntax, nearest};
use crate::load::{Document, escape_pointer};
use crate::model::{Environment, Project, path_segments, resource_id, split_route};
use crate::origin::Placer;
use crate::placeholder;
use crate::schema::Tier;

/// Environment names: the file stem (SPEC §3).
pub fn valid_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && name.len() <= 16
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// envc names of tables, functions, buckets, indexes and clients become parts of
/// AWS names and Terraform identifiers.
fn valid_item_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && name.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
}

fn ptr(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for p in parts {
        out.push('/');
        if p.contains(['~', '/']) {
            out.push_str(&escape_pointer(p));
        } else {
            out.push_str(p);
        }
    }
    out
}

struct Check<'a> {
    doc: &'a Document,
    out: Vec<Diagnostic>,
}

impl Check<'_> {
    fn at_value(&mut self, pointer: &str, d: Diagnostic) {
        let span = self.doc.value_span(pointer);
        self.out.push(d.at(span));
    }
    /// The syntax of the file that holds `pointer`'s value, for advice in its terms.
    fn syntax(&self, pointer: &str) -> Syntax {
        Syntax::of(&self.doc.value_span(pointer).file)
    }
    fn at_key(&mut self, pointer: &str, d: Diagnostic) {
        let span = self.doc.key_span(pointer);
        self.out.push(d.at(span));
    }
    fn name(&mut self, pointer: &str, kind: NameKind, name: &str, context: &str) {
        if let Some(why) = aws::check_name(kind, name) {
            self.at_key(
                pointer,
                Diagnostic::error(
                    "envc::rules::aws-name",
                    format!("{} `{name}`{context} {why}", kind.describe()),
                )
                .label("this name makes it")
                .help("shorten the name or the project `prefix`"),
            );
        }
    }
    fn reference(&mut self, pointer: &str, what: &str, name: &str, known: &[&str]) {
        if !known.contains(&name) {
            let d = Diagnostic::error(
                "envc::rules::unknown-reference",
                format!("unknown {what} `{name}`"),
            )
            .label(format!("no {what} of this name is declared"));
            let d = match nearest(name, known.iter().copied()) {
                Some(n) => d.did_you_mean(n),
                None if known.is_empty() => {
                    d.help(format!("declare it with `{what} \"{name}\" {{ … }}`"))
                }
                None => d.help(format!(
                    "declared: {}",
                    known
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            };
            self.at_key(pointer, d);
        }
    }
}

const METHODS: &[&str] = &[
    "ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT",
];

/// Checks of the project file alone.
pub fn check_project(p: &Project, doc: &Document) -> Vec<Diagnostic> {
    let mut c = Check {
        doc,
        out: Vec::new(),
    };
    let item_name = |c: &mut Check, pointer: String, what: &str, name: &str| {
        if !valid_item_name(name) {
            c.at_key(
                &pointer,
                Diagnostic::error("envc::rules::name", format!("invalid {what} name `{name}`"))
                    .label("expected lowercase letters, digits and `-`, starting with a letter, at most 40 characters"),
            );
        }
    };
    for t in &p.tables {
        item_name(&mut c, ptr(&["table", &t.name]), "table", &t.name);
        let attrs: Vec<&str> = t.attributes.iter().map(|a| a.name.as_str()).collect();
        let mut used = BTreeSet::new();
        let mut key = |c: &mut Check, pointer: String, k: &str| {
            used.insert(k.to_string());
            if !attrs.contains(&k) {
                let d = Diagnostic::error(
                    "envc::rules::unknown-attribute",
                    format!("key attribute `{k}` of table `{}` is not declared", t.name),
                )
                .label("not declared with `attribute`");
                let d = match nearest(k, attrs.iter().copied()) {
                    Some(n) => d.did_you_mean(n),
                    None => d.help(format!("add `attribute \"{k}\" type=\"S\"` to the table")),
                };
                c.at_value(&pointer, d);
            }
        };
        key(&mut c, ptr(&["table", &t.name, "hash-key"]), &t.hash_key);
        if let Some(r) = &t.range_key {
            key(&mut c, ptr(&["table", &t.name, "range-key"]), r);
        }
        for g in &t.gsis {
            item_name(
                &mut c,
                ptr(&["table", &t.name, "gsi", &g.name]),
                "index",
                &g.name,
            );
            key(
                &mut c,
                ptr(&["table", &t.name, "gsi", &g.name, "hash-key"]),
                &g.hash_key,
            );
            if let Some(r) = &g.range_key {
                key(
                    &mut c,
                    ptr(&["table", &t.name, "gsi", &g.name, "range-key"]),
                    r,
                );
            }
        }
        for a in &t.attributes {
            if !used.contains(&a.name) {
                c.at_key(
                    &ptr(&["table", &t.name, "attribute", &a.name]),
                    Diagnostic::error(
                        "envc::rules::unused-attribute",
                        format!(
                            "attribute `{}` of table `{}` is not a key of the table or an index",
                            a.name, t.name
                        ),
                    )
                    .label("DynamoDB rejects attribute definitions that no key uses")
                    .help("declare only key attributes; other attributes need no declaration"),
                );
            }
        }
    }
    let tables: Vec<&str> = p.tables.iter().map(|t| t.name.as_str()).collect();
    let buckets: Vec<&str> = p.buckets.iter().map(|b| b.name.as_str()).collect();
    let functions: Vec<&str> = p.functions.iter().map(|f| f.name.as_str()).collect();
    for f in &p.functions {
        item_name(&mut c, ptr(&["function", &f.name]), "function", &f.name);
        // The description becomes the Lambda function's (at most 256 characters) and the
        // IAM role's (Latin-1 text; envc adds "Service role of the <function> function (…).").
        let desc_ok = f.description.chars().count() <= 256
            && f.description
                .chars()
                .all(|ch| matches!(ch, '\t' | '\n' | '\r' | ' '..='~' | '\u{a1}'..='\u{ff}'));
        if !desc_ok {
            c.at_value(
                &ptr(&["function", &f.name, "description"]),
                Diagnostic::error(
                    "envc::rules::description",
                    format!(
                        "the description of function `{}` cannot be a Lambda function and IAM role description",
                        f.name
                    ),
                )
                .label("at most 256 Latin-1 characters: it becomes the function's and its role's description")
                .help("shorten it, and use plain text without emoji or non-Latin scripts"),
            );
        }
        let family = placeholder::family(&f.runtime);
        if family != placeholder::Family::Compiled
            && placeholder::split_handler(family, &f.handler).is_none()
        {
            let example = match family {
                placeholder::Family::Python => {
                    "`module.function` (e.g. `app.handler` or `pkg.app.handler`)"
                }
                _ => "`file.function` (e.g. `index.handler` or `src/app.handler`)",
            };
            c.at_value(
                &ptr(&["function", &f.name, "handler"]),
                Diagnostic::error(
                    "envc::rules::handler",
                    format!(
                        "invalid handler `{}` for runtime `{}`",
                        f.handler, f.runtime
                    ),
                )
                .label(format!("expected {example}"))
                .help("letters, digits and `_` in each part; the last part names the function"),
            );
        }
        if let Some(vars) = &f.defaults.environment {
            env_vars(&mut c, &["function", &f.name, "environment"], vars);
        }
        for g in &f.tables {
            c.reference(
                &ptr(&["function", &f.name, "table", &g.name]),
                "table",
                &g.name,
                &tables,
            );
        }
        for g in &f.buckets {
            c.reference(
                &ptr(&["function", &f.name, "bucket", &g.name]),
                "bucket",
                &g.name,
                &buckets,
            );
        }
    }
    if let Some(api) = &p.api {
        for r in &api.routes {
            let pointer = ptr(&["api", "route", &r.key]);
            match split_route(&r.key) {
                Some((m, path)) if METHODS.contains(&m) && valid_path(path) => {}
                Some((m, _)) if !METHODS.contains(&m) => c.at_key(
                    &pointer,
                    Diagnostic::error("envc::rules::route", format!("unknown HTTP method `{m}` in route `{}`", r.key))
                        .label(format!("expected one of {}", METHODS.join(", ")))
                        .help_opt(nearest(&m.to_ascii_uppercase(), METHODS.iter().copied()).map(|n| format!("did you mean `{n}`?")))
                        .suggest_opt(nearest(&m.to_ascii_uppercase(), METHODS.iter().copied()).map(|n| Suggestion::Replace(format!("{n}{}", &r.key[m.len()..])))),
                ),
                _ => c.at_key(
                    &pointer,
                    Diagnostic::error("envc::rules::route", format!("invalid route `{}`", r.key))
                        .label("expected `METHOD /path/{param}`")
                        .help("paths start with `/`, segments are letters, digits, `-._` or `{param}` (a greedy `{param+}` only last), and do not end in `/`"),
                ),
            }
            c.reference(
                &ptr(&["api", "route", &r.key, "function"]),
                "function",
                &r.function,
                &functions,
            );
            if r.auth && p.user_pool.is_none() {
                c.at_key(
                    &pointer,
                    Diagnostic::error(
                        "envc::rules::auth-without-pool",
                        format!(
                            "route `{}` requires auth, but the project has no `user-pool`",
                            r.key
                        ),
                    )
                    .help("declare a `user-pool { … }` or set `auth=#false` on the route"),
                );
            }
        }
    }
    reserved_names(&mut c, p);
    if let Some(api) = &p.api {
        route_tree(&mut c, &api.routes);
    }
    if let Some(u) = &p.user_pool {
        if u.password_min_length < 12 {
            c.at_value(
                "/user-pool/password-min-length",
                Diagnostic::error(
                    "envc::rules::password-length",
                    format!(
                        "password minimum length {} is below envc's baseline of 12",
                        u.password_min_length
                    ),
                )
                .label("must be at least 12"),
            );
        }
        for cl in &u.clients {
            item_name(
                &mut c,
                ptr(&["user-pool", "client", &cl.name]),
                "client",
                &cl.name,
            );
        }
    }
    for b in &p.buckets {
        item_name(&mut c, ptr(&["bucket", &b.name]), "bucket", &b.name);
        let steps = [
            (
                "warm-after-days",
                b.warm_after_days,
                "cold-after-days",
                b.cold_after_days,
                30,
            ),
            (
                "cold-after-days",
                b.cold_after_days,
                "archive-after-days",
                b.archive_after_days,
                90,
            ),
            (
                "archive-after-days",
                b.archive_after_days,
                "expire-after-days",
                b.expire_after_days,
                1,
            ),
        ];
        if let Some(crate::schema::ObjectLock::Retention(r)) = &b.object_lock {
            lock_days(
                &mut c,
                &["bucket", &b.name, "object-lock", "days"],
                b,
                r.days,
            );
        }
        for (a, av, bk, bv, gap) in steps {
            if bv < av + gap {
                c.at_value(
                    &ptr(&["bucket", &b.name, bk]),
                    Diagnostic::error("envc::rules::lifecycle", format!("`{bk}` ({bv}) must be at least {gap} days after `{a}` ({av})"))
                        .label(format!("at least {}", av + gap))
                        .help("S3 requires objects to stay a minimum time in each storage class before the next transition"),
                );
            }
        }
    }
    c.out
}

/// Names the modules give their own resources: a function or bucket whose name makes the
/// same Terraform address or AWS name would clash with them.
fn reserved_names(c: &mut Check, p: &Project) {
    let functions: Vec<&str> = p.functions.iter().map(|f| f.name.as_str()).collect();
    let buckets: Vec<&str> = p.buckets.iter().map(|b| b.name.as_str()).collect();
    let clash = |c: &mut Check, pointer: String, what: &str, name: &str, why: String| {
        c.at_key(
            &pointer,
            Diagnostic::error(
                "envc::rules::reserved-name",
                format!("{what} name `{name}` clashes with a generated resource"),
            )
            .label(why)
            .help(format!("rename the {what}")),
        );
    };
    for f in &functions {
        let why = match *f {
            "api-access" | "api-waf" => Some(format!(
                "the cloudwatch module names the API's log group `{}` so",
                f.replace('-', "_")
            )),
            "api-gateway-cloudwatch" => {
                Some("the account module names the role API Gateway logs with so".to_string())
            }
            _ => None,
        }
        .or_else(|| {
            f.strip_suffix("-xray")
                .filter(|base| functions.contains(base))
                .map(|base| {
                    format!("the iam module names the X-Ray attachment of function `{base}` so")
                })
        })
        .or_else(|| {
            f.strip_suffix("-replication")
                .filter(|base| buckets.contains(base))
                .map(|base| {
                    format!("the s3-audit module names the replication role of bucket `{base}` so")
                })
        });
        if let Some(why) = why {
            clash(c, ptr(&["function", f]), "function", f, why);
        }
    }
    for b in &buckets {
        if *b == "lambda-packages" && !functions.is_empty() {
            clash(
                c,
                ptr(&["bucket", b]),
                "bucket",
                b,
                "the lambda module names the bucket of the functions' packages so".to_string(),
            );
        }
        if let Some(base) = b
            .strip_suffix("-replica")
            .filter(|base| buckets.contains(base))
        {
            clash(
                c,
                ptr(&["bucket", b]),
                "bucket",
                b,
                format!("the s3-audit module names the replica of bucket `{base}` so"),
            );
        }
    }
}

/// The API's resource tree: every route and every path prefix needs its own Terraform
/// name, and API Gateway allows one variable path part (`{id}`) among siblings.
fn route_tree(c: &mut Check, routes: &[crate::model::Route]) {
    let mut methods: BTreeMap<&str, &str> = BTreeMap::new();
    let mut resources: BTreeMap<String, String> = BTreeMap::new();
    let mut variables: BTreeMap<String, String> = BTreeMap::new();
    for r in routes {
        if split_route(&r.key).is_none_or(|(_, path)| !valid_path(path)) {
            continue; // reported as a malformed route
        }
        let pointer = ptr(&["api", "route", &r.key]);
        if let Some(first) = methods.insert(&r.id, &r.key) {
            c.at_key(
                &pointer,
                Diagnostic::error(
                    "envc::rules::route-name",
                    format!(
                        "routes `{first}` and `{}` make the same Terraform name `{}`",
                        r.key, r.id
                    ),
                )
                .label("same method and path as another route, once `-`, `.` and `{}` are dropped")
                .help("give the routes distinct paths"),
            );
            continue;
        }
        let segments = path_segments(&r.path);
        for n in 1..=segments.len() {
            let path = format!("/{}", segments[..n].join("/"));
            let id = resource_id(&segments[..n]);
            match resources.get(&id) {
                Some(other) if *other != path => {
                    c.at_key(
                        &pointer,
                        Diagnostic::error(
                            "envc::rules::route-name",
                            format!("paths `{other}` and `{path}` make the same Terraform name `{id}`"),
                        )
                        .label("another route's path differs from this one only in `-`, `.`, `_` or `{}`")
                        .help("give the paths distinct names"),
                    );
                    break;
                }
                Some(_) => {}
                None => {
                    resources.insert(id, path.clone());
                }
            }
            let segment = segments[n - 1];
            if segment.starts_with('{') {
                let parent = format!("/{}", segments[..n - 1].join("/"));
                match variables.get(&parent) {
                    Some(other) if other != segment => {
                        c.at_key(
                            &pointer,
                            Diagnostic::error(
                                "envc::rules::route-variable",
                                format!(
                                    "`{segment}` and `{other}` are both variable path parts under `{parent}`"
                                ),
                            )
                            .label("API Gateway allows one variable path part among siblings")
                            .help(format!("use `{other}` here too")),
                        );
                        break;
                    }
                    Some(_) => {}
                    None => {
                        variables.insert(parent, segment.to_string());
                    }
                }
            }
        }
    }
}

fn valid_path(path: &str) -> bool {
    if path == "/" {
        return true;
    }
    // A greedy variable (`{proxy+}`) can only be the last segment.
    let greedy_inside = path
        .rsplit_once('/')
        .is_some_and(|(head, _)| head.contains("+}"));
    path.starts_with('/')
        && !path.ends_with('/')
        && !greedy_inside
        && path[1..].split('/').all(|seg| {
            if let Some(inner) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                let inner = inner.strip_suffix('+').unwrap_or(inner);
                !inner.is_empty() && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            } else {
                !seg.is_empty()
                    && seg
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
            }
        })
}

/// Variables Lambda sets itself: a function may not set them.
const RESERVED_ENV_VARS: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

/// Lambda refuses environment variables whose names and values exceed 4 KB together.
const ENV_VARS_MAX_BYTES: usize = 4096;

/// Names of environment variables (Lambda: a letter, then letters, digits and `_`).
fn env_vars(c: &mut Check, at: &[&str], vars: &BTreeMap<String, String>) {
    for k in vars.keys() {
        let mut parts = at.to_vec();
        parts.push(k);
        let pointer = ptr(&parts);
        let ok = k.len() >= 2
            && k.starts_with(|ch: char| ch.is_ascii_alphabetic())
            && k.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
        if !ok {
            c.at_key(
                &pointer,
                Diagnostic::error(
                    "envc::rules::env-var",
                    format!("invalid environment variable name `{k}`"),
                )
                .label("a letter, then letters, digits and `_` (at least 2 characters)"),
            );
        } else if RESERVED_ENV_VARS.contains(&k.as_str()) {
            c.at_key(
                &pointer,
                Diagnostic::error(
                    "envc::rules::env-var",
                    format!("environment variable `{k}` is reserved by Lambda"),
                )
                .label("Lambda sets this variable itself")
                .help("choose another name"),
            );
        }
    }
}

/// Object Lock's retention must end before the lifecycle deletes objects: a version
/// still locked when it expires cannot be deleted, and the lifecycle is defeated.
fn lock_days(c: &mut Check, at: &[&str], b: &crate::model::Bucket, days: Option<u32>) {
    if let Some(days) = days
        && days > b.expire_after_days
    {
        c.at_value(
            &ptr(at),
            Diagnostic::error(
                "envc::rules::object-lock-retention",
                format!(
                    "Object Lock retention of bucket `{}` ({days} days) is longer than its lifecycle expiry (`expire-after-days` {})",
                    b.name, b.expire_after_days
                ),
            )
            .label(format!("at most {} days", b.expire_after_days))
            .help("objects still locked when they expire cannot be deleted: shorten the retention or keep objects longer"),
        );
    }
}

fn region_check(c: &mut Check, pointer: &str, region: &str) {
    if !aws::is_region(region) {
        c.at_value(
            pointer,
            Diagnostic::error(
                "envc::rules::unknown-region",
                format!("unknown AWS region `{region}`"),
            )
            .label("not an AWS region")
            .did_you_mean_opt(nearest(region, aws::REGIONS.iter().copied())),
        );
    } else if aws::partition(region) != "aws" {
        // The templates build ARNs in the `aws` partition.
        c.at_value(
            pointer,
            Diagnostic::error(
                "envc::rules::unsupported-partition",
                format!("region `{region}` is in the `{}` partition, which envc does not generate for yet", aws::partition(region)),
            )
            .label("only commercial AWS regions are supported"),
        );
    }
}

fn tag_ok(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c))
}

/// Checks of one resolved environment, against the project it is built from.
/// `project_doc` places errors about names the project's keys make.
pub fn check_environment(
    p: &Project,
    project_doc: &Document,
    env: &Environment,
    doc: &Document,
) -> Vec<Diagnostic> {
    let mut c = Check {
        doc,
        out: Vec::new(),
    };
    if !valid_env_name(&env.name) {
        c.out.push(
            Diagnostic::error("envc::rules::env-name", format!("invalid environment name `{}`", env.name))
                .at(Span::file_start(&doc.path))
                .label("the file name is the environment name")
                .help("rename the file: lowercase letters, digits and `-`, starting with a letter, at most 16 characters"),
        );
        // Every generated name contains the environment name: checking them would only repeat this.
        return c.out;
    }
    region_check(&mut c, "/region", &env.region);
    if let Some(f) = &env.failover_region {
        region_check(&mut c, "/failover-region", f);
        if *f == env.region {
            c.at_value(
                "/failover-region",
                Diagnostic::error(
                    "envc::rules::failover-same-region",
                    format!("`failover-region` must differ from `region` (both are `{f}`)"),
                )
                .label("same as `region`"),
            );
        }
        if !env.cross_region_replication {
            let on = c
                .syntax("/failover-region")
                .setting("cross-region-replication", &true.into());
            c.at_key(
                "/failover-region",
                Diagnostic::error(
                    "envc::rules::failover-without-replication",
                    "`failover-region` is set but `cross-region-replication` is off",
                )
                .label("only used by cross-region replication")
                .help(format!("remove `failover-region`, or set `{on}`")),
            );
        }
    } else if env.cross_region_replication {
        let set = c
            .syntax("/cross-region-replication")
            .setting("failover-region", &"<region>".into());
        c.at_value(
            "/cross-region-replication",
            Diagnostic::error(
                "envc::rules::replication-without-failover",
                "`cross-region-replication` is on but no `failover-region` is set",
            )
            .label("needs a `failover-region`")
            .help(format!("add `{set}`, a region other than `region`")),
        );
    }
    let prod = env.tier == Tier::PROD;
    if prod && !env.pitr {
        let on = c.syntax("/pitr").literal(&true.into());
        c.at_value(
            "/pitr",
            Diagnostic::error(
                "envc::rules::prod-pitr",
                "point-in-time recovery cannot be turned off in a PROD environment",
            )
            .label(format!("must be `{on}` for tier PROD")),
        );
    }
    if prod && !env.features.cognito_advanced_security && p.user_pool.is_some() {
        let on = c
            .syntax("/features/cognito-advanced-security")
            .literal(&true.into());
        c.at_value(
            "/features/cognito-advanced-security",
            Diagnostic::error(
                "envc::rules::prod-advanced-security",
                "Cognito advanced security cannot be turned off in a PROD environment",
            )
            .label(format!("must be `{on}` for tier PROD")),
        );
    }
    if let Some(u) = &p.user_pool
        && prod
        && u.mfa != "ON"
    {
        let mut pc = Check {
            doc: project_doc,
            out: Vec::new(),
        };
        pc.at_value(
            "/user-pool/mfa",
            Diagnostic::error(
                "envc::rules::prod-mfa",
                format!(
                    "the user pool's MFA is `{}`, but PROD environment `{}` requires `ON`",
                    u.mfa, env.name
                ),
            )
            .label("must be `ON` while a PROD environment exists"),
        );
        c.out.extend(pc.out);
    }
    if env.account_id.is_none() {
        c.out.push(
            Diagnostic::error(
                "envc::rules::account-id-required",
                "`account-id` is required: the KMS key policy, the bucket names and the API's Lambda integrations name the account",
            )
            .at(Span::file_start(&doc.path))
            .label("no `account-id` in this environment")
            .help(
                "add `account-id \"123456789012\"` (reading it from AWS would break offline plans)",
            )
            .suggest(Suggestion::AddKey {
                parent: String::new(),
                key: "account-id".into(),
            }),
        );
    }
    for f in &env.flags {
        if !f
            .name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "_.-".contains(ch))
            || f.name.is_empty()
        {
            c.at_key(
                &ptr(&["flags", &f.name]),
                Diagnostic::error(
                    "envc::rules::flag-name",
                    format!("invalid flag name `{}`", f.name),
                )
                .label("letters, digits and `_.-` only"),
            );
        }
        if f.value.is_empty() || f.value.len() > 4096 {
            c.at_value(
                &ptr(&["flags", &f.name]),
                Diagnostic::error(
                    "envc::rules::flag-value",
                    format!("flag `{}` must be 1 to 4096 characters long", f.name),
                )
                .label("SSM parameter values cannot be empty or longer than 4 KB"),
            );
        }
    }
    for (k, v) in env.tags.iter() {
        let pointer = ptr(&["tags", k]);
        if doc.spans.contains_key(&pointer) {
            if !tag_ok(k) || k.is_empty() || k.chars().count() > 128 || k.starts_with("aws:") {
                c.at_key(
                    &pointer,
                    Diagnostic::error("envc::rules::tag", format!("invalid tag key `{k}`")).label(
                        "1–128 letters, digits, spaces and `_.:/=+-@`, not starting with `aws:`",
                    ),
                );
            }
            if !tag_ok(v) || v.chars().count() > 256 {
                c.at_value(
                    &pointer,
                    Diagnostic::error("envc::rules::tag", format!("invalid value of tag `{k}`"))
                        .label("at most 256 letters, digits, spaces and `_.:/=+-@`"),
                );
            }
        }
    }
    per_item_settings(&mut c, p, env, doc);
    if let Some(l) = doc.spans.get("/backend/lock-table") {
        c.out.push(
            Diagnostic::warning(
                "envc::rules::deprecated-lock-table",
                "`lock-table` is deprecated and ignored: the state is locked with S3's lock file (`use_lockfile`)",
            )
            .at(l.key.clone().unwrap_or_else(|| l.value.clone()))
            .label("no DynamoDB lock table is used")
            .help("remove it; delete the table once no root still uses it (run `terraform init -reconfigure` in the root first)"),
        );
    }
    if env.adopt.iter().any(|a| a == "api-execution-log-group") && p.api.is_none() {
        c.at_value(
            "/adopt",
            Diagnostic::error(
                "envc::rules::adopt",
                "`adopt \"api-execution-log-group\"` needs an `api` in the project",
            )
            .label("the project has no API, so no execution log group"),
        );
    }
    if env.adopt.iter().any(|a| a == "functions") && p.functions.is_empty() {
        c.at_value(
            "/adopt",
            Diagnostic::error(
                "envc::rules::adopt",
                "`adopt \"functions\"` needs a `function` in the project",
            )
            .label("the project has no functions"),
        );
    }

    // Generated names, placed at the project key that makes them.
    let mut pc = Check {
        doc: project_doc,
        out: Vec::new(),
    };
    let ctx = format!(" (environment `{}`)", env.name);
    let np = &env.name_prefix;
    for t in &p.tables {
        pc.name(
            &ptr(&["table", &t.name]),
            NameKind::DynamoDbTable,
            &format!("{np}-{}", t.name),
            &ctx,
        );
    }
    for f in &p.functions {
        pc.name(
            &ptr(&["function", &f.name]),
            NameKind::IamRole,
            &format!("{np}-{}", f.name),
            &ctx,
        );
        pc.name(
            &ptr(&["function", &f.name]),
            NameKind::LogGroup,
            &format!("/aws/lambda/{np}-{}", f.name),
            &ctx,
        );
    }
    let account = env
        .account_id
        .as_ref()
        .map(|a| format!("-{a}"))
        .unwrap_or_default();
    for b in &p.buckets {
        pc.name(
            &ptr(&["bucket", &b.name]),
            NameKind::S3Bucket,
            &format!("{np}-{}{account}-{}", b.name, env.region),
            &ctx,
        );
        if let Some(f) = &env.failover_region {
            pc.name(
                &ptr(&["bucket", &b.name]),
                NameKind::S3Bucket,
                &format!("{np}-{}{account}-{f}", b.name),
                &ctx,
            );
        }
    }
    if let Some(f) = p.functions.first() {
        pc.name(
            &ptr(&["function", &f.name]),
            NameKind::S3Bucket,
            &format!("{np}-lambda-packages{account}-{}", env.region),
            &format!(
                " (the functions' package bucket, environment `{}`)",
                env.name
            ),
        );
    }
    c.out.extend(pc.out);
    if let Some(why) = aws::check_name(NameKind::S3Bucket, &env.backend.bucket) {
        let pointer = if doc.spans.contains_key("/backend/bucket") {
            "/backend/bucket"
        } else {
            ""
        };
        c.at_value(
            pointer,
            Diagnostic::error(
                "envc::rules::aws-name",
                format!("state bucket name `{}` {why}", env.backend.bucket),
            ),
        );
    }
    c.name("", NameKind::SnsTopic, &format!("{np}-alerts"), "");
    c.out
}

/// Checks across environments: the account- and region-wide settings have one owner.
pub fn check_environments(p: &Project, envs: &[Environment], at: &Placer) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if p.api.is_none() {
        return out; // API Gateway's account setting is the only such setting today
    }
    let mut owners: BTreeMap<(&str, &str), &Environment> = BTreeMap::new();
    for env in envs.iter().filter(|e| e.owns_account_settings) {
        let Some(account) = env.account_id.as_deref() else {
            continue;
        };
        if let Some(first) = owners.insert((account, &env.region), env) {
            owners.insert((account, &env.region), first);
            let span = at
                .environment(env, "/owns_account_settings")
                .or_else(|| at.environment(env, "/account_id"))
                .or_else(|| at.environment(env, "/name"));
            out.push(
                Diagnostic::error(
                    "envc::rules::account-settings-owner",
                    format!(
                        "environments `{}` and `{}` both own the settings of account {account} in {}",
                        first.name, env.name, env.region
                    ),
                )
                .at_opt(span)
                .label("a second owner of API Gateway's account setting (its CloudWatch Logs role)")
                .help(format!(
                    "set `owns-account-settings #false` in all but one environment of account {account} in {}, and apply that one first",
                    env.region
                )),
            );
        }
    }
    out
}

/// An environment's `function`, `bucket` and `user-pool.client` settings: each names a
/// declared item, and what it sets is valid for that item.
fn per_item_settings(c: &mut Check, p: &Project, env: &Environment, doc: &Document) {
    let object = |pointer: &str| -> Vec<String> {
        doc.value
            .pointer(pointer)
            .and_then(|v| v.as_object())
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let functions: Vec<&str> = p.functions.iter().map(|f| f.name.as_str()).collect();
    for name in object("/function") {
        c.reference(&ptr(&["function", &name]), "function", &name, &functions);
        if let Some(vars) = doc
            .value
            .pointer(&format!("{}/environment", ptr(&["function", &name])))
            .and_then(|v| v.as_object())
        {
            let vars: BTreeMap<String, String> = vars
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect();
            env_vars(c, &["function", &name, "environment"], &vars);
        }
    }
    for f in &env.functions {
        let bytes: usize = f.environment.iter().map(|(k, v)| k.len() + v.len()).sum();
        if bytes > ENV_VARS_MAX_BYTES {
            let pointer = ptr(&["function", &f.name, "environment"]);
            let d = Diagnostic::error(
                "envc::rules::env-var",
                format!(
                    "the environment variables of function `{}` take {bytes} bytes in environment `{}`",
                    f.name, env.name
                ),
            )
            .label(format!("Lambda allows {ENV_VARS_MAX_BYTES} bytes of names and values"))
            .help("move large values to a parameter or secret");
            if doc.spans.contains_key(&pointer) {
                c.at_key(&pointer, d);
            } else {
                c.out.push(d.at(Span::file_start(&doc.path)));
            }
        }
    }
    let buckets: Vec<&str> = p.buckets.iter().map(|b| b.name.as_str()).collect();
    for name in object("/bucket") {
        c.reference(&ptr(&["bucket", &name]), "bucket", &name, &buckets);
        if let Some(b) = p.buckets.iter().find(|b| b.name == name) {
            let days = doc
                .value
                .pointer(&format!("{}/object-lock/days", ptr(&["bucket", &name])))
                .and_then(|v| v.as_u64())
                .map(|d| d as u32);
            lock_days(c, &["bucket", &name, "object-lock", "days"], b, days);
        }
    }
    let clients: Vec<&crate::model::Client> = p.user_pool.iter().flat_map(|u| &u.clients).collect();
    let client_names: Vec<&str> = clients.iter().map(|cl| cl.name.as_str()).collect();
    if doc.spans.contains_key("/user-pool") && p.user_pool.is_none() {
        c.at_key(
            "/user-pool",
            Diagnostic::error(
                "envc::rules::unknown-reference",
                "the project has no `user-pool` for these settings",
            )
            .label("no `user-pool` in envc.kdl"),
        );
    }
    for name in object("/user-pool/client") {
        let pointer = ptr(&["user-pool", "client", &name]);
        c.reference(&pointer, "client", &name, &client_names);
        if let Some(cl) = clients.iter().find(|cl| cl.name == name)
            && cl.callback_urls.is_empty()
            && doc.spans.contains_key(&format!("{pointer}/callback-urls"))
        {
            c.at_key(
                &format!("{pointer}/callback-urls"),
                Diagnostic::error(
                    "envc::rules::callback-urls",
                    format!("client `{name}` has no callback URLs in envc.kdl"),
                )
                .label("an environment can only replace the project's callback URLs")
                .help("declare `callback-urls` for the client in envc.kdl: they are the default of every environment"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names() {
        for (n, ok) in [
            ("dev", true),
            ("prod-eu-2", true),
            ("Dev", false),
            ("1dev", false),
            ("a234567890123456", true),
            ("a2345678901234567", false),
            ("dev_1", false),
            ("", false),
        ] {
            assert_eq!(valid_env_name(n), ok, "{n}");
        }
    }

    #[test]
    fn route_paths() {
        for (p, ok) in [
            ("/", true),
            ("/users", true),
            ("/users/{user_id}/roles", true),
            ("/x/{proxy+}", true),
            ("/x/{proxy+}/y", false),
            ("users", false),
            ("/users/", false),
            ("/a//b", false),
            ("/a/{}", false),
            ("/a b", false),
        ] {
            assert_eq!(valid_path(p), ok, "{p}");
        }
    }
}
