//! Model: the resolved project and environments that templates render.
//!
//! Takes the faithful input types of [`crate::schema`] (already schema-valid)
//! and returns [`Project`] and [`Environment`]: defaults applied by tier,
//! tags merged, names built from the naming convention, envc names turned
//! into Terraform identifiers. It deliberately reports nothing: every
//! semantic check lives in [`crate::rules`], which runs on these values.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Number;

use crate::placeholder;
use crate::schema::{self, Access, EnvironmentFile, FlagValue, LockMode, ProjectFile, Tier};

/// An envc name (`role-assignments`) as a Terraform identifier (`role_assignments`).
pub fn ident(name: &str) -> String {
    name.replace(['-', '.'], "_")
}

#[derive(Clone, Debug, Serialize)]
pub struct Project {
    pub name: String,
    pub prefix: String,
    pub tags: BTreeMap<String, String>,
    pub tables: Vec<Table>,
    pub functions: Vec<Function>,
    pub api: Option<Api>,
    pub user_pool: Option<UserPool>,
    pub buckets: Vec<Bucket>,
    pub alarms: Alarms,
}

#[derive(Clone, Debug, Serialize)]
pub struct Table {
    pub name: String,
    pub id: String,
    pub hash_key: String,
    pub range_key: Option<String>,
    pub attributes: Vec<Attribute>,
    pub gsis: Vec<Gsi>,
    pub ttl: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Attribute {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Gsi {
    pub name: String,
    pub hash_key: String,
    pub range_key: Option<String>,
    pub projection: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Grant {
    pub name: String,
    pub id: String,
    /// The name in PascalCase (`RoleAssignments`): IAM statement ids allow only letters and digits.
    pub sid: String,
    pub read: bool,
    pub write: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Function {
    pub name: String,
    pub id: String,
    pub description: String,
    pub tables: Vec<Grant>,
    pub buckets: Vec<Grant>,
    /// The Lambda function's description: the project's, else `<name> of <project>`.
    pub function_description: String,
    /// Lambda runtime identifier: `python3.12`.
    pub runtime: String,
    pub handler: String,
    /// `x86_64` or `arm64`.
    pub architecture: String,
    /// The project's settings, which environments may override ([`FunctionConfig`]).
    #[serde(skip)]
    pub defaults: schema::FunctionSettings,
    /// Whether a route invokes it (API Gateway calls it synchronously).
    pub invoked_by_api: bool,
    /// Whether the project reserves concurrency for it (else checkov's reservation check is skipped inline).
    pub reserves_concurrency: bool,
    /// The placeholder package the tree creates it from, base64 ([`crate::placeholder`]).
    pub placeholder: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Route {
    /// The key as written: `GET /users/{user_id}`.
    pub key: String,
    pub method: String,
    pub path: String,
    pub function: String,
    pub function_id: String,
    pub auth: bool,
    /// Terraform identifier of the route's method and integration: `get_users_user_id`.
    pub id: String,
    /// Identifier of the route's [`ApiResource`]; `None` for `/` (the API's root resource).
    pub resource: Option<String>,
    /// Path parameters, outermost first: `["user_id", "role_id"]`.
    pub params: Vec<String>,
}

/// One node of the API's resource tree: a path that some route's path starts with.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ApiResource {
    /// `/users/{user_id}`
    pub path: String,
    /// Terraform identifier: `users_user_id`.
    pub id: String,
    /// The last segment, API Gateway's `path_part`: `{user_id}`.
    pub part: String,
    /// Identifier of the parent resource; `None` directly under the API's root resource.
    pub parent: Option<String>,
}

/// A function some route invokes.
#[derive(Clone, Debug, Serialize)]
pub struct Invoked {
    pub name: String,
    pub id: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Api {
    /// The REST API's description (`API of <project>` unless the project says).
    pub description: String,
    pub stage: String,
    pub throttle_burst: u32,
    #[serde(serialize_with = "whole")]
    pub throttle_rate: f64,
    pub routes: Vec<Route>,
    /// The resource tree of every route path, each path once, parents before children
    /// (sorted by path segments).
    pub resources: Vec<ApiResource>,
    /// The functions the routes invoke, each once, in the order of `functions`.
    pub functions: Vec<Invoked>,
    /// Whether any route needs the Cognito authorizer.
    pub authorized: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Client {
    pub name: String,
    pub id: String,
    pub public: bool,
    pub access_token_minutes: u32,
    pub refresh_token_days: u32,
    pub callback_urls: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct UserPool {
    pub mfa: String,
    pub password_min_length: u32,
    pub clients: Vec<Client>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Bucket {
    pub name: String,
    pub id: String,
    pub warm_after_days: u32,
    pub cold_after_days: u32,
    pub archive_after_days: u32,
    pub expire_after_days: u32,
    pub noncurrent_expire_after_days: u32,
    /// The project's Object Lock setting; environments resolve it ([`BucketConfig`]).
    #[serde(skip)]
    pub object_lock: Option<schema::ObjectLock>,
}

/// Alarm thresholds, each number as it was written (`5` stays `5`, `5.0` stays `5.0`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Alarms {
    pub api_5xx_errors: Number,
    pub api_latency_p99_ms: Number,
    pub dynamodb_throttles: Number,
    pub dynamodb_system_errors: Number,
}

/// A number as the user would write it: `5`, not `5.0`, when it is whole.
fn whole<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        s.serialize_i64(*x as i64)
    } else {
        s.serialize_f64(*x)
    }
}

impl Alarms {
    fn overlay(&self, o: Option<&schema::Alarms>) -> Alarms {
        let Some(o) = o else { return self.clone() };
        let pick = |set: &Option<Number>, old: &Number| set.clone().unwrap_or_else(|| old.clone());
        Alarms {
            api_5xx_errors: pick(&o.api_5xx_errors, &self.api_5xx_errors),
            api_latency_p99_ms: pick(&o.api_latency_p99_ms, &self.api_latency_p99_ms),
            dynamodb_throttles: pick(&o.dynamodb_throttles, &self.dynamodb_throttles),
            dynamodb_system_errors: pick(&o.dynamodb_system_errors, &self.dynamodb_system_errors),
        }
    }
}

fn default_alarms() -> Alarms {
    Alarms {
        api_5xx_errors: 5.into(),
        api_latency_p99_ms: 3000.into(),
        dynamodb_throttles: 10.into(),
        dynamodb_system_errors: 1.into(),
    }
}

pub fn resolve_project(p: &ProjectFile) -> Project {
    let grants = |m: &Option<BTreeMap<String, schema::Grant>>| -> Vec<Grant> {
        m.iter()
            .flatten()
            .map(|(name, g)| Grant {
                name: name.clone(),
                id: ident(name),
                sid: pascal(name),
                read: matches!(g.access, Access::Read | Access::ReadWrite),
                write: matches!(g.access, Access::Write | Access::ReadWrite),
            })
            .collect()
    };
    Project {
        name: p.project.clone(),
        prefix: p.prefix.clone().unwrap_or_else(|| p.project.clone()),
        tags: p.tags.clone().unwrap_or_default(),
        tables: p
            .table
            .iter()
            .flatten()
            .map(|(name, t)| Table {
                name: name.clone(),
                id: ident(name),
                hash_key: t.hash_key.clone(),
                range_key: t.range_key.clone(),
                attributes: t
                    .attribute
                    .iter()
                    .map(|(n, a)| Attribute {
                        name: n.clone(),
                        ty: format!("{:?}", a.ty),
                    })
                    .collect(),
                gsis: t
                    .gsi
                    .iter()
                    .flatten()
                    .map(|(n, g)| Gsi {
                        name: n.clone(),
                        hash_key: g.hash_key.clone(),
                        range_key: g.range_key.clone(),
                        projection: format!(
                            "{:?}",
                            g.projection.unwrap_or(schema::Projection::ALL)
                        ),
                    })
                    .collect(),
                ttl: t.ttl.clone(),
            })
            .collect(),
        functions: p
            .function
            .iter()
            .flatten()
            .map(|(name, f)| {
                let runtime = enum_text(&f.runtime);
                Function {
                    name: name.clone(),
                    id: ident(name),
                    description: f
                        .description
                        .clone()
                        .unwrap_or_else(|| format!("service role of {name}")),
                    tables: grants(&f.table),
                    buckets: grants(&f.bucket),
                    function_description: f
                        .description
                        .clone()
                        .unwrap_or_else(|| format!("{name} of {}", p.project)),
                    placeholder: placeholder::package(name, &runtime, &f.handler),
                    runtime,
                    handler: f.handler.clone(),
                    architecture: f
                        .architecture
                        .map_or_else(|| "x86_64".to_string(), |a| enum_text(&a)),
                    defaults: schema::FunctionSettings {
                        memory: f.memory,
                        timeout: f.timeout,
                        reserved_concurrency: f.reserved_concurrency,
                        tracing: f.tracing,
                        environment: f.environment.clone(),
                    },
                    invoked_by_api: p
                        .api
                        .iter()
                        .flat_map(|a| a.route.values())
                        .any(|r| r.function == *name),
                    reserves_concurrency: f.reserved_concurrency.is_some(),
                }
            })
            .collect(),
        api: p.api.as_ref().map(|a| {
            let routes: Vec<Route> = a
                .route
                .iter()
                .map(|(key, r)| {
                    let (method, path) = split_route(key).unwrap_or(("", ""));
                    let segments = path_segments(path);
                    Route {
                        key: key.clone(),
                        method: method.to_string(),
                        path: path.to_string(),
                        function: r.function.clone(),
                        function_id: ident(&r.function),
                        auth: r.auth.unwrap_or(true),
                        id: route_id(method, &segments),
                        resource: (!segments.is_empty()).then(|| resource_id(&segments)),
                        params: segments.iter().filter_map(|s| path_param(s)).collect(),
                    }
                })
                .collect();
            let functions = p
                .function
                .iter()
                .flatten()
                .map(|(name, _)| name)
                .filter(|name| routes.iter().any(|r| &r.function == *name))
                .map(|name| Invoked {
                    name: name.clone(),
                    id: ident(name),
                })
                .collect();
            Api {
                description: a
                    .description
                    .clone()
                    .unwrap_or_else(|| format!("API of {}", p.project)),
                stage: a.stage.clone(),
                throttle_burst: a.throttle_burst.unwrap_or(100),
                throttle_rate: a.throttle_rate.unwrap_or(50.0),
                resources: api_resources(routes.iter().map(|r| r.path.as_str())),
                authorized: routes.iter().any(|r| r.auth),
                functions,
                routes,
            }
        }),
        user_pool: p.user_pool.as_ref().map(|u| UserPool {
            mfa: format!("{:?}", u.mfa),
            password_min_length: u.password_min_length,
            clients: u
                .client
                .iter()
                .flatten()
                .map(|(n, c)| Client {
                    name: n.clone(),
                    id: ident(n),
                    public: c.public,
                    access_token_minutes: c.access_token_minutes.unwrap_or(60),
                    refresh_token_days: c.refresh_token_days.unwrap_or(30),
                    callback_urls: c
                        .callback_urls
                        .as_ref()
                        .map(|u| u.to_vec())
                        .unwrap_or_default(),
                })
                .collect(),
        }),
        buckets: p
            .bucket
            .iter()
            .flatten()
            .map(|(n, b)| Bucket {
                name: n.clone(),
                id: ident(n),
                warm_after_days: b.warm_after_days,
                cold_after_days: b.cold_after_days,
                archive_after_days: b.archive_after_days,
                expire_after_days: b.expire_after_days,
                noncurrent_expire_after_days: b.noncurrent_expire_after_days.unwrap_or(90),
                object_lock: b.object_lock.clone(),
            })
            .collect(),
        alarms: default_alarms().overlay(p.alarms.as_ref()),
    }
}

/// The serde name of a unit enum value (`Runtime::Python312` → `python3.12`).
pub fn enum_text<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

/// `role-assignments` → `RoleAssignments`.
pub fn pascal(name: &str) -> String {
    name.split(['-', '_', '.'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The segments of a route path: `/users/{user_id}` → `["users", "{user_id}"]`; `/` → `[]`.
pub fn path_segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// The parameter of a path segment: `{user_id}` → `user_id`, `{proxy+}` → `proxy`
/// (API Gateway's `method.request.path.<name>`).
pub fn path_param(segment: &str) -> Option<String> {
    segment
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .map(|s| s.trim_end_matches('+').to_string())
}

/// The Terraform identifier of the resource at a path: `["users", "{user_id}"]` →
/// `users_user_id`. Braces and `+` are dropped, `-` and `.` become `_`, and an identifier
/// that would start with a digit gets a leading `_`. Different paths can give the same
/// identifier (`/a-b`, `/a_b`): [`crate::rules`] reports that.
pub fn resource_id(segments: &[&str]) -> String {
    let id = segments
        .iter()
        .map(|s| {
            ident(
                s.trim_start_matches('{')
                    .trim_end_matches('}')
                    .trim_end_matches('+'),
            )
        })
        .collect::<Vec<_>>()
        .join("_");
    if id.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{id}")
    } else {
        id
    }
}

/// The Terraform identifier of a route's method: `get_users_user_id`; `get_root` for `/`.
pub fn route_id(method: &str, segments: &[&str]) -> String {
    let rest = if segments.is_empty() {
        "root".to_string()
    } else {
        resource_id(segments)
    };
    format!(
        "{}_{}",
        method.to_ascii_lowercase(),
        rest.trim_start_matches('_')
    )
}

/// Every prefix of every path, once, parents before children.
pub fn api_resources<'a>(paths: impl Iterator<Item = &'a str>) -> Vec<ApiResource> {
    let mut all: Vec<Vec<&str>> = Vec::new();
    for path in paths {
        let segments = path_segments(path);
        for n in 1..=segments.len() {
            all.push(segments[..n].to_vec());
        }
    }
    all.sort();
    all.dedup();
    all.iter()
        .map(|segs| ApiResource {
            path: format!("/{}", segs.join("/")),
            id: resource_id(segs),
            part: segs[segs.len() - 1].to_string(),
            parent: (segs.len() > 1).then(|| resource_id(&segs[..segs.len() - 1])),
        })
        .collect()
}

/// `"GET /users/{id}"` → `("GET", "/users/{id}")`; `None` when it is not of that form.
pub fn split_route(key: &str) -> Option<(&str, &str)> {
    let (method, path) = key.split_once(' ')?;
    Some((method, path.trim()))
}

#[derive(Clone, Debug, Serialize)]
pub struct Features {
    pub deletion_protection: bool,
    pub xray_tracing: bool,
    pub cognito_advanced_security: bool,
    pub detailed_metrics: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Flag {
    pub name: String,
    pub id: String,
    /// The SSM parameter value (flags are strings in SSM: `true`, `10`, `text`).
    pub value: String,
    /// `bool`, `number` or `string`, recorded in the parameter's description.
    pub kind: &'static str,
    /// The value as written.
    #[serde(skip)]
    pub written: FlagValue,
}

#[derive(Clone, Debug, Serialize)]
pub struct BackendConfig {
    pub bucket: String,
    pub region: String,
    pub key: String,
    /// The KMS key that encrypts the state (`alias/<prefix>-<env>-tfstate` unless set).
    pub kms_key: String,
}

/// A function's settings in one environment: the project's, with the environment's on top.
#[derive(Clone, Debug, Serialize)]
pub struct FunctionConfig {
    pub name: String,
    pub id: String,
    pub memory: u32,
    pub timeout: u32,
    pub reserved_concurrency: Option<u32>,
    /// `Active` or `PassThrough`.
    pub tracing: String,
    pub environment: BTreeMap<String, String>,
}

/// Default retention of a bucket with Object Lock.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Retention {
    /// `GOVERNANCE` or `COMPLIANCE`.
    pub mode: String,
    pub days: u32,
}

/// A bucket's settings in one environment.
#[derive(Clone, Debug, Serialize)]
pub struct BucketConfig {
    pub name: String,
    pub id: String,
    /// Object Lock's default retention; `None` when Object Lock is off.
    pub object_lock: Option<Retention>,
}

/// The callback URLs of an app client in one environment (clients without any are left out).
#[derive(Clone, Debug, Serialize)]
pub struct Callbacks {
    pub name: String,
    pub id: String,
    pub urls: Vec<String>,
}

/// Default memory (MB) and timeout (s) of a function.
pub const DEFAULT_MEMORY: u32 = 128;
pub const DEFAULT_TIMEOUT: u32 = 10;
/// Object Lock's default retention in days, when the bucket keeps objects at least that long.
pub const DEFAULT_LOCK_DAYS: u32 = 365;

#[derive(Clone, Debug, Serialize)]
pub struct Environment {
    pub name: String,
    pub tier: Tier,
    pub region: String,
    pub failover_region: Option<String>,
    pub pitr: bool,
    pub cross_region_replication: bool,
    pub account_id: Option<String>,
    pub log_retention_days: u32,
    pub features: Features,
    pub flags: Vec<Flag>,
    /// Project tags with the environment's on top, plus `environment`.
    pub tags: BTreeMap<String, String>,
    pub alarms: Alarms,
    pub alert_emails: Vec<String>,
    pub backend: BackendConfig,
    /// `<prefix>-<env>`: every generated AWS name starts with it.
    pub name_prefix: String,
    /// Every function of the project, in its order, with this environment's settings.
    pub functions: Vec<FunctionConfig>,
    /// Every bucket of the project, in its order, with this environment's settings.
    pub buckets: Vec<BucketConfig>,
    /// The app clients with callback URLs, in the project's order.
    pub callback_urls: Vec<Callbacks>,
    /// Whether this root owns the account- and region-wide settings.
    pub owns_account_settings: bool,
    /// What the next apply imports (`functions`, `api-execution-log-group`), sorted.
    pub adopt: Vec<String>,
}

pub fn default_log_retention(tier: Tier) -> u32 {
    match tier {
        Tier::DEV => 14,
        Tier::SIT | Tier::UAT => 30,
        Tier::STAGING => 90,
        Tier::PROD => 365,
    }
}

/// The values an environment of `tier` gets for the keys it leaves unset and
/// whose default does not depend on its name, region or account: `pitr`,
/// `cross-region-replication`, `log-retention-days`, `features`, and `alarms`
/// (the project's thresholds). In the JSON view of an environment file; the
/// same code as [`resolve_environment`] computes them.
pub fn tier_defaults(project: &Project, tier: Tier) -> serde_json::Value {
    let file = EnvironmentFile {
        schema: None,
        extends: None,
        tier,
        region: schema::RegionCode(String::new()),
        failover_region: None,
        pitr: None,
        cross_region_replication: None,
        account_id: None,
        log_retention_days: None,
        features: None,
        flags: None,
        tags: None,
        alarms: None,
        alert_emails: None,
        backend: None,
        owns_account_settings: None,
        function: None,
        bucket: None,
        user_pool: None,
        adopt: None,
    };
    let resolved = resolve_environment(project, "env", &file).resolved_file();
    let mut value = serde_json::to_value(resolved).unwrap_or_default();
    if let serde_json::Value::Object(m) = &mut value {
        m.retain(|k, _| {
            [
                "pitr",
                "cross-region-replication",
                "log-retention-days",
                "features",
                "alarms",
            ]
            .contains(&k.as_str())
        });
    }
    value
}

pub fn resolve_environment(project: &Project, name: &str, e: &EnvironmentFile) -> Environment {
    let prod = e.tier == Tier::PROD;
    let f = e.features.clone().unwrap_or_default();
    let mut tags = project.tags.clone();
    tags.extend(e.tags.clone().unwrap_or_default());
    tags.insert("environment".into(), name.to_string());
    let name_prefix = format!("{}-{name}", project.prefix);
    let account_suffix = e
        .account_id
        .as_ref()
        .map(|a| format!("-{a}"))
        .unwrap_or_default();
    let b = e.backend.clone().unwrap_or_default();
    let xray = f.xray_tracing.unwrap_or(false);
    let none = BTreeMap::new();
    let fn_overrides = e.function.as_ref().unwrap_or(&none);
    let functions = project
        .functions
        .iter()
        .map(|pf| {
            let d = &pf.defaults;
            let o = fn_overrides.get(&pf.name).cloned().unwrap_or_default();
            let mut environment = d.environment.clone().unwrap_or_default();
            environment.extend(o.environment.unwrap_or_default());
            FunctionConfig {
                name: pf.name.clone(),
                id: pf.id.clone(),
                memory: o.memory.or(d.memory).unwrap_or(DEFAULT_MEMORY),
                timeout: o.timeout.or(d.timeout).unwrap_or(DEFAULT_TIMEOUT),
                reserved_concurrency: o.reserved_concurrency.or(d.reserved_concurrency),
                tracing: enum_text(&o.tracing.or(d.tracing).unwrap_or(if xray {
                    schema::Tracing::Active
                } else {
                    schema::Tracing::PassThrough
                })),
                environment,
            }
        })
        .collect();
    let none_b = BTreeMap::new();
    let bucket_overrides = e.bucket.as_ref().unwrap_or(&none_b);
    let buckets = project
        .buckets
        .iter()
        .map(|pb| {
            let setting = bucket_overrides
                .get(&pb.name)
                .and_then(|o| o.object_lock.clone())
                .or_else(|| pb.object_lock.clone());
            BucketConfig {
                name: pb.name.clone(),
                id: pb.id.clone(),
                object_lock: resolve_lock(setting.as_ref(), prod, pb.expire_after_days),
            }
        })
        .collect();
    let client_overrides = e
        .user_pool
        .as_ref()
        .and_then(|u| u.client.clone())
        .unwrap_or_default();
    let callback_urls = project
        .user_pool
        .iter()
        .flat_map(|u| &u.clients)
        .filter_map(|c| {
            let urls = client_overrides
                .get(&c.name)
                .and_then(|o| o.callback_urls.as_ref())
                .map_or_else(|| c.callback_urls.clone(), |u| u.to_vec());
            (!urls.is_empty()).then(|| Callbacks {
                name: c.name.clone(),
                id: c.id.clone(),
                urls,
            })
        })
        .collect();
    let mut adopt: Vec<String> = e
        .adopt
        .as_ref()
        .map(|a| a.to_vec().iter().map(enum_text).collect())
        .unwrap_or_default();
    adopt.sort();
    adopt.dedup();
    Environment {
        name: name.to_string(),
        tier: e.tier,
        region: e.region.0.clone(),
        failover_region: e.failover_region.as_ref().map(|r| r.0.clone()),
        pitr: e.pitr.unwrap_or(true),
        cross_region_replication: e.cross_region_replication.unwrap_or(false),
        account_id: e.account_id.clone(),
        log_retention_days: e
            .log_retention_days
            .unwrap_or_else(|| default_log_retention(e.tier)),
        features: Features {
            deletion_protection: f.deletion_protection.unwrap_or(prod),
            xray_tracing: xray,
            cognito_advanced_security: f.cognito_advanced_security.unwrap_or(prod),
            detailed_metrics: f.detailed_metrics.unwrap_or(prod),
        },
        flags: e
            .flags
            .iter()
            .flatten()
            .map(|(n, v)| {
                let (value, kind) = match v {
                    FlagValue::Bool(b) => (b.to_string(), "bool"),
                    FlagValue::Number(n) => (n.to_string(), "number"),
                    FlagValue::String(s) => (s.clone(), "string"),
                };
                Flag {
                    name: n.clone(),
                    id: ident(n),
                    value,
                    kind,
                    written: v.clone(),
                }
            })
            .collect(),
        tags,
        alarms: project.alarms.overlay(e.alarms.as_ref()),
        alert_emails: e
            .alert_emails
            .as_ref()
            .map(|v| v.to_vec().into_iter().map(|m| m.0).collect())
            .unwrap_or_default(),
        backend: BackendConfig {
            bucket: b
                .bucket
                .unwrap_or_else(|| format!("{name_prefix}-tfstate{account_suffix}")),
            region: b.region.map_or_else(|| e.region.0.clone(), |r| r.0),
            key: b
                .key
                .unwrap_or_else(|| format!("{}/{name}/terraform.tfstate", project.name)),
            kms_key: b
                .kms_key
                .unwrap_or_else(|| format!("alias/{name_prefix}-tfstate")),
        },
        name_prefix,
        functions,
        buckets,
        callback_urls,
        owns_account_settings: e.owns_account_settings.unwrap_or(true),
        adopt,
    }
}

/// Object Lock of a bucket from its setting (the environment's, else the project's):
/// unset means on in PROD, off elsewhere; `#true` and unset parts take the defaults
/// (GOVERNANCE, [`DEFAULT_LOCK_DAYS`] or the bucket's expiry when shorter).
pub fn resolve_lock(
    setting: Option<&schema::ObjectLock>,
    prod: bool,
    expire_after_days: u32,
) -> Option<Retention> {
    let default_days = DEFAULT_LOCK_DAYS.min(expire_after_days);
    let (mode, days) = match setting {
        None if prod => (None, None),
        None | Some(schema::ObjectLock::Enabled(false)) => return None,
        Some(schema::ObjectLock::Enabled(true)) => (None, None),
        Some(schema::ObjectLock::Retention(r)) => (r.mode, r.days),
    };
    Some(Retention {
        mode: enum_text(&mode.unwrap_or(LockMode::GOVERNANCE)),
        days: days.unwrap_or(default_days),
    })
}

impl Environment {
    /// The environment in the vocabulary of its input file, every default filled
    /// in and `extends` applied (what `envc show` prints).
    pub fn resolved_file(&self) -> EnvironmentFile {
        use schema::{Email, OneOrMany, RegionCode};
        EnvironmentFile {
            schema: None,
            extends: None,
            tier: self.tier,
            region: RegionCode(self.region.clone()),
            failover_region: self.failover_region.clone().map(RegionCode),
            pitr: Some(self.pitr),
            cross_region_replication: Some(self.cross_region_replication),
            account_id: self.account_id.clone(),
            log_retention_days: Some(self.log_retention_days),
            features: Some(schema::Features {
                deletion_protection: Some(self.features.deletion_protection),
                xray_tracing: Some(self.features.xray_tracing),
                cognito_advanced_security: Some(self.features.cognito_advanced_security),
                detailed_metrics: Some(self.features.detailed_metrics),
            }),
            flags: Some(
                self.flags
                    .iter()
                    .map(|f| (f.name.clone(), f.written.clone()))
                    .collect(),
            ),
            tags: Some(self.tags.clone()),
            alarms: Some(schema::Alarms {
                api_5xx_errors: Some(self.alarms.api_5xx_errors.clone()),
                api_latency_p99_ms: Some(self.alarms.api_latency_p99_ms.clone()),
                dynamodb_throttles: Some(self.alarms.dynamodb_throttles.clone()),
                dynamodb_system_errors: Some(self.alarms.dynamodb_system_errors.clone()),
            }),
            alert_emails: Some(OneOrMany::Many(
                self.alert_emails.iter().cloned().map(Email).collect(),
            )),
            backend: Some(schema::Backend {
                bucket: Some(self.backend.bucket.clone()),
                region: Some(RegionCode(self.backend.region.clone())),
                key: Some(self.backend.key.clone()),
                kms_key: Some(self.backend.kms_key.clone()),
                lock_table: None,
            }),
            owns_account_settings: Some(self.owns_account_settings),
            function: (!self.functions.is_empty()).then(|| {
                self.functions
                    .iter()
                    .map(|f| {
                        (
                            f.name.clone(),
                            schema::FunctionSettings {
                                memory: Some(f.memory),
                                timeout: Some(f.timeout),
                                reserved_concurrency: f.reserved_concurrency,
                                tracing: Some(if f.tracing == "Active" {
                                    schema::Tracing::Active
                                } else {
                                    schema::Tracing::PassThrough
                                }),
                                environment: (!f.environment.is_empty())
                                    .then(|| f.environment.clone()),
                            },
                        )
                    })
                    .collect()
            }),
            bucket: (!self.buckets.is_empty()).then(|| {
                self.buckets
                    .iter()
                    .map(|b| {
                        let lock = match &b.object_lock {
                            None => schema::ObjectLock::Enabled(false),
                            Some(r) => schema::ObjectLock::Retention(schema::LockRetention {
                                mode: Some(if r.mode == "COMPLIANCE" {
                                    LockMode::COMPLIANCE
                                } else {
                                    LockMode::GOVERNANCE
                                }),
                                days: Some(r.days),
                            }),
                        };
                        (
                            b.name.clone(),
                            schema::BucketSettings {
                                object_lock: Some(lock),
                            },
                        )
                    })
                    .collect()
            }),
            user_pool: (!self.callback_urls.is_empty()).then(|| schema::UserPoolSettings {
                client: Some(
                    self.callback_urls
                        .iter()
                        .map(|c| {
                            (
                                c.name.clone(),
                                schema::ClientSettings {
                                    callback_urls: Some(OneOrMany::Many(c.urls.clone())),
                                },
                            )
                        })
                        .collect(),
                ),
            }),
            adopt: (!self.adopt.is_empty()).then(|| {
                OneOrMany::Many(
                    self.adopt
                        .iter()
                        .map(|a| {
                            if a == "functions" {
                                schema::Adopt::Functions
                            } else {
                                schema::Adopt::ApiExecutionLogGroup
                            }
                        })
                        .collect(),
                )
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idents_and_routes() {
        assert_eq!(ident("role-assignments"), "role_assignments");
        assert_eq!(split_route("GET /users/{id}"), Some(("GET", "/users/{id}")));
        assert_eq!(split_route("GET"), None);
    }

    #[test]
    fn route_identifiers() {
        for (method, path, id, resource) in [
            ("GET", "/users", "get_users", Some("users")),
            (
                "PUT",
                "/users/{user_id}/roles/{role_id}",
                "put_users_user_id_roles_role_id",
                Some("users_user_id_roles_role_id"),
            ),
            ("GET", "/", "get_root", None),
            (
                "ANY",
                "/files/{proxy+}",
                "any_files_proxy",
                Some("files_proxy"),
            ),
            (
                "GET",
                "/2fa/codes.json",
                "get_2fa_codes_json",
                Some("_2fa_codes_json"),
            ),
        ] {
            let segs = path_segments(path);
            assert_eq!(route_id(method, &segs), id, "{path}");
            assert_eq!(
                (!segs.is_empty()).then(|| resource_id(&segs)).as_deref(),
                resource,
                "{path}"
            );
        }
        assert_eq!(pascal("role-assignments"), "RoleAssignments");
        assert_eq!(pascal("audit"), "Audit");
    }

    #[test]
    fn resource_tree_is_unique_and_parents_first() {
        let tree = api_resources(
            [
                "/users/{user_id}/roles",
                "/auth/token",
                "/users",
                "/",
                "/auth/refresh",
            ]
            .into_iter(),
        );
        let got: Vec<(&str, &str, Option<&str>)> = tree
            .iter()
            .map(|r| (r.path.as_str(), r.part.as_str(), r.parent.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("/auth", "auth", None),
                ("/auth/refresh", "refresh", Some("auth")),
                ("/auth/token", "token", Some("auth")),
                ("/users", "users", None),
                ("/users/{user_id}", "{user_id}", Some("users")),
                ("/users/{user_id}/roles", "roles", Some("users_user_id")),
            ]
        );
    }

    #[test]
    fn tier_defaults_follow_the_tier() {
        let file: ProjectFile =
            serde_json::from_value(serde_json::json!({"project": "p"})).unwrap();
        let p = resolve_project(&file);
        let prod = tier_defaults(&p, Tier::PROD);
        assert_eq!(prod["log-retention-days"], 365);
        assert_eq!(prod["features"]["deletion-protection"], true);
        assert_eq!(prod["pitr"], true);
        assert_eq!(prod["alarms"]["api-5xx-errors"], 5.0);
        let dev = tier_defaults(&p, Tier::DEV);
        assert_eq!(dev["log-retention-days"], 14);
        assert_eq!(dev["features"]["deletion-protection"], false);
        assert!(dev.get("region").is_none() && dev.get("backend").is_none());
    }

    #[test]
    fn log_retention_defaults_by_tier() {
        assert_eq!(default_log_retention(Tier::DEV), 14);
        assert_eq!(default_log_retention(Tier::PROD), 365);
    }
}
