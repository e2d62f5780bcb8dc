//! Schema: the faithful, typed shape of the two input file kinds, and the JSON
//! Schema validation of their JSON view.
//!
//! Takes a [`load::Document`] (JSON view + span map) and returns the typed
//! input (`ProjectFile`, `EnvironmentFile`) or every schema error, each traced
//! through the JSON pointer → span map to its place in the KDL (an unknown key
//! points at the key, a missing key at the enclosing node).
//!
//! The Rust types below *are* the schema: `schemars` turns them (doc comments
//! included) into `schemas/*.json`, and serde reads the validated view into
//! them. Nothing here applies defaults or checks cross-references: that is
//! [`crate::model`] and [`crate::rules`].

use std::collections::BTreeMap;
use std::sync::OnceLock;

use schemars::{JsonSchema, schema_for};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diag::{Diagnostic, Span, Suggestion, Syntax, nearest};
use crate::load::{Document, escape_pointer, unescape_pointer};

/// Environment tier. PROD gets the strictest defaults and rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Tier {
    DEV,
    SIT,
    UAT,
    STAGING,
    PROD,
}

/// One value or a list of values: in KDL, `alert-emails "a@x.io"` is one, `alert-emails "a@x.io" "b@x.io"` is a list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T: Clone> OneOrMany<T> {
    pub fn to_vec(&self) -> Vec<T> {
        match self {
            OneOrMany::One(v) => vec![v.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// An e-mail address.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("patternErrorMessage" = "an e-mail address such as `ops@example.com`"))]
pub struct Email(#[schemars(regex(pattern = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"))] pub String);

/// An AWS region code such as `eu-west-1` (checked against the known regions by envc's rules).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("patternErrorMessage" = "an AWS region code such as `eu-west-1`"))]
pub struct RegionCode(#[schemars(regex(pattern = r"^[a-z]{2}(-[a-z]+)+-[0-9]$"))] pub String);

/// An application feature flag value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum FlagValue {
    Bool(bool),
    Number(serde_json::Number),
    String(String),
}

/// CloudWatch Logs retention periods AWS accepts, in days.
pub const LOG_RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Infrastructure toggles. Unset toggles take their tier's default.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Features {
    /// Deletion protection of tables and the user pool. Default: on for PROD, off otherwise.
    pub deletion_protection: Option<bool>,
    /// AWS X-Ray tracing of the API stage and X-Ray write access for every function. Default off.
    pub xray_tracing: Option<bool>,
    /// Cognito advanced security (adaptive authentication). Default: on for PROD, off otherwise.
    pub cognito_advanced_security: Option<bool>,
    /// Detailed (per-method) API Gateway metrics. Default: on for PROD, off otherwise.
    pub detailed_metrics: Option<bool>,
}

/// Alarm thresholds. The project sets them; an environment may override any of them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Alarms {
    /// API Gateway 5XX errors per 5 minutes that raise the alarm.
    #[schemars(range(min = 0))]
    pub api_5xx_errors: Option<serde_json::Number>,
    /// API Gateway p99 latency in milliseconds that raises the alarm.
    #[schemars(range(min = 1))]
    pub api_latency_p99_ms: Option<serde_json::Number>,
    /// Throttled DynamoDB requests per table per 5 minutes that raise the alarm.
    #[schemars(range(min = 0))]
    pub dynamodb_throttles: Option<serde_json::Number>,
    /// DynamoDB system errors per table per 5 minutes that raise the alarm.
    #[schemars(range(min = 0))]
    pub dynamodb_system_errors: Option<serde_json::Number>,
}

/// S3 state backend. Unset keys follow the naming convention.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Backend {
    /// State bucket. Default `<prefix>-<env>-tfstate[-<account-id>]`.
    pub bucket: Option<String>,
    /// Region of the state bucket. Default: the environment's region.
    pub region: Option<RegionCode>,
    /// State object key. Default `<project>/<env>/terraform.tfstate`.
    pub key: Option<String>,
    /// KMS key that encrypts the state object (key ID, key ARN, alias name or alias ARN). Default `alias/<prefix>-<env>-tfstate`, created with the state bucket.
    #[schemars(length(min = 1, max = 2048))]
    pub kms_key: Option<String>,
    /// Deprecated and ignored: the state is locked with S3's own lock file (`use_lockfile`), not a DynamoDB table.
    #[schemars(extend("deprecated" = true))]
    pub lock_table: Option<String>,
}

/// An environment file (`environments/<env>.kdl` or `.json`): what differs between deployments.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EnvironmentFile {
    /// JSON files only: the schema this file follows (`../schemas/environment.schema.json`).
    #[serde(rename = "$schema", default, skip_serializing)]
    pub schema: Option<String>,
    /// Another file of `environments/` (by stem, e.g. `_base`) deep-merged under this one.
    pub extends: Option<String>,
    /// The environment's tier.
    pub tier: Tier,
    /// The AWS region everything is deployed to.
    pub region: RegionCode,
    /// Region of the DynamoDB replicas and the audit bucket replica. Required when `cross-region-replication` is on, forbidden otherwise.
    pub failover_region: Option<RegionCode>,
    /// Point-in-time recovery of every table. Default on; must be on for PROD.
    pub pitr: Option<bool>,
    /// DynamoDB global-table replicas and S3 audit replication into `failover-region`. Default off.
    pub cross_region_replication: Option<bool>,
    /// The AWS account the environment lives in; the provider is pinned to it.
    #[schemars(regex(pattern = r"^[0-9]{12}$"))]
    #[schemars(extend("patternErrorMessage" = "a 12-digit AWS account ID such as `123456789012`"))]
    pub account_id: Option<String>,
    /// CloudWatch Logs retention in days (one of CloudWatch's allowed values). Default by tier: DEV 14, SIT/UAT 30, STAGING 90, PROD 365.
    #[schemars(extend("enum" = LOG_RETENTION_DAYS))]
    pub log_retention_days: Option<u32>,
    /// Infrastructure toggles.
    pub features: Option<Features>,
    /// Application feature flags, published as SSM parameters `/<project>/<env>/flags/<name>`.
    pub flags: Option<BTreeMap<String, FlagValue>>,
    /// Tags merged into the provider's `default_tags` over the project's own.
    pub tags: Option<BTreeMap<String, String>>,
    /// Overrides of the project's alarm thresholds.
    pub alarms: Option<Alarms>,
    /// E-mail addresses subscribed to the alert topic.
    pub alert_emails: Option<OneOrMany<Email>>,
    /// S3 state backend settings.
    pub backend: Option<Backend>,
    /// Whether this environment's root owns the settings of its account and region that exist once per account and region (today API Gateway's CloudWatch Logs role). Default on; two environments in the same account and region cannot both own them.
    pub owns_account_settings: Option<bool>,
    /// Per-environment settings of the project's functions: `function "<name>" memory=512 { … }`.
    pub function: Option<BTreeMap<String, FunctionSettings>>,
    /// Per-environment settings of the project's buckets: `bucket "<name>" { object-lock … }`.
    pub bucket: Option<BTreeMap<String, BucketSettings>>,
    /// Per-environment settings of the user pool's clients: `user-pool { client "<name>" { callback-urls … } }`.
    pub user_pool: Option<UserPoolSettings>,
    /// Resources that exist in AWS but not yet in the Terraform state, to import on the next apply: `functions` (functions deployed before envc created them) and `api-execution-log-group` (the log group API Gateway created itself).
    pub adopt: Option<OneOrMany<Adopt>>,
}

/// What an environment can adopt (import into its state) on its next apply.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Adopt {
    /// The Lambda functions `<prefix>-<env>-<function>`, deployed before envc created them.
    Functions,
    /// The log group `API-Gateway-Execution-Logs_<api-id>/<stage>` that API Gateway created on its own.
    ApiExecutionLogGroup,
}

/// Settings of a function that an environment may override.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FunctionSettings {
    /// Memory in MB (128 – 10240).
    #[schemars(range(min = 128, max = 10240))]
    pub memory: Option<u32>,
    /// Timeout in seconds (1 – 900).
    #[schemars(range(min = 1, max = 900))]
    pub timeout: Option<u32>,
    /// Reserved concurrent executions. Unset by default: a new account's concurrency quota refuses any reservation.
    #[schemars(range(min = 0, max = 100000))]
    pub reserved_concurrency: Option<u32>,
    /// X-Ray tracing mode. Default: `Active` where the environment's `features.xray-tracing` is on, else `PassThrough`.
    pub tracing: Option<Tracing>,
    /// Environment variables, merged over the project's.
    pub environment: Option<BTreeMap<String, String>>,
}

/// Settings of a bucket that an environment may override.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BucketSettings {
    /// S3 Object Lock of the bucket (and its replica): `object-lock mode="COMPLIANCE" days=365`, `#true` (defaults) or `#false`.
    pub object_lock: Option<ObjectLock>,
}

/// Settings of the user pool that an environment may override.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct UserPoolSettings {
    /// Per-environment settings of the app clients: `client "<name>" { callback-urls … }`.
    pub client: Option<BTreeMap<String, ClientSettings>>,
}

/// Settings of an app client that an environment may override.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ClientSettings {
    /// OAuth callback URLs of the client in this environment (replace the project's).
    pub callback_urls: Option<OneOrMany<String>>,
}

/// X-Ray tracing mode of a function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Tracing {
    Active,
    PassThrough,
}

/// S3 Object Lock retention mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum LockMode {
    /// Users with `s3:BypassGovernanceRetention` can still delete or shorten the retention.
    GOVERNANCE,
    /// Nobody, the root user included, can delete a locked version before its retention ends.
    COMPLIANCE,
}

/// S3 Object Lock: on with envc's defaults (`#true`), off (`#false`), or a default retention.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ObjectLock {
    Enabled(bool),
    Retention(LockRetention),
}

/// The default retention of every new object version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LockRetention {
    /// Retention mode. Default `GOVERNANCE`.
    pub mode: Option<LockMode>,
    /// Retention in days (1 – 36500). Default 365, or the bucket's `expire-after-days` when that is shorter.
    #[schemars(range(min = 1, max = 36500))]
    pub days: Option<u32>,
}

/// DynamoDB attribute type: `S` string, `N` number, `B` binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum AttributeType {
    S,
    N,
    B,
}

/// A key attribute of a table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Attribute {
    /// The attribute's DynamoDB type.
    #[serde(rename = "type")]
    pub ty: AttributeType,
}

/// Which attributes a global secondary index projects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[allow(non_camel_case_types)]
pub enum Projection {
    ALL,
    KEYS_ONLY,
}

/// A global secondary index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Gsi {
    /// Partition key attribute (declared with `attribute`).
    pub hash_key: String,
    /// Sort key attribute (declared with `attribute`).
    pub range_key: Option<String>,
    /// Projected attributes. Default `ALL`.
    pub projection: Option<Projection>,
}

/// A DynamoDB table (`table "<name>" hash-key="…" { … }`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Table {
    /// Partition key attribute (declared with `attribute`).
    pub hash_key: String,
    /// Sort key attribute (declared with `attribute`).
    pub range_key: Option<String>,
    /// Key attributes of the table and its indexes: `attribute "<name>" type="S"`.
    pub attribute: BTreeMap<String, Attribute>,
    /// Global secondary indexes: `gsi "<name>" hash-key="…"`.
    pub gsi: Option<BTreeMap<String, Gsi>>,
    /// Attribute holding the item's expiry time (epoch seconds); enables TTL.
    pub ttl: Option<String>,
}

/// Table access a function gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    Read,
    Write,
    ReadWrite,
}

/// A grant on a table or bucket: `table "<name>" access="read"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Grant {
    /// What the function may do.
    pub access: Access,
}

/// Lambda runtimes envc generates functions for (those the AWS provider's lower bound knows and AWS has not deprecated).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Runtime {
    #[serde(rename = "nodejs20.x")]
    Nodejs20,
    #[serde(rename = "nodejs22.x")]
    Nodejs22,
    #[serde(rename = "python3.10")]
    Python310,
    #[serde(rename = "python3.11")]
    Python311,
    #[serde(rename = "python3.12")]
    Python312,
    #[serde(rename = "python3.13")]
    Python313,
    #[serde(rename = "java17")]
    Java17,
    #[serde(rename = "java21")]
    Java21,
    #[serde(rename = "dotnet8")]
    Dotnet8,
    #[serde(rename = "ruby3.3")]
    Ruby33,
    #[serde(rename = "provided.al2023")]
    ProvidedAl2023,
}

/// Instruction set of a function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[allow(non_camel_case_types)]
pub enum Architecture {
    x86_64,
    arm64,
}

/// A Lambda function `<prefix>-<env>-<name>`: envc owns the function (its configuration, not its code), its role, its log group and its API integration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Function {
    /// What the function does (becomes the role's description).
    pub description: Option<String>,
    /// The Lambda runtime, e.g. `python3.12`.
    pub runtime: Runtime,
    /// The handler, e.g. `app.handler` (module and function of the code the function's own pipeline deploys).
    #[schemars(length(min = 1, max = 128))]
    pub handler: String,
    /// Instruction set. Default `x86_64`.
    pub architecture: Option<Architecture>,
    /// Memory in MB (128 – 10240). Default 128; an environment may override it.
    #[schemars(range(min = 128, max = 10240))]
    pub memory: Option<u32>,
    /// Timeout in seconds (1 – 900). Default 10; an environment may override it.
    #[schemars(range(min = 1, max = 900))]
    pub timeout: Option<u32>,
    /// Reserved concurrent executions. Default unset (new accounts' concurrency quota refuses reservations); an environment may override it.
    #[schemars(range(min = 0, max = 100000))]
    pub reserved_concurrency: Option<u32>,
    /// X-Ray tracing mode. Default: `Active` where the environment's `features.xray-tracing` is on, else `PassThrough`.
    pub tracing: Option<Tracing>,
    /// Environment variables (`environment { LOG_LEVEL "info" }`); an environment's are merged over them.
    pub environment: Option<BTreeMap<String, String>>,
    /// Tables the function may use, by their envc names.
    pub table: Option<BTreeMap<String, Grant>>,
    /// Buckets the function may use, by their envc names.
    pub bucket: Option<BTreeMap<String, Grant>>,
}

/// An API route: `route "GET /users/{id}" function="users-api"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Route {
    /// The function (declared with `function`) that serves the route.
    pub function: String,
    /// Whether a Cognito user-pool token is required. Default true.
    pub auth: Option<bool>,
}

/// The REST API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Api {
    /// Description of the REST API. Default `API of <project>`.
    #[schemars(length(min = 1, max = 900))]
    pub description: Option<String>,
    /// Stage name, e.g. `v1`.
    #[schemars(regex(pattern = r"^[a-zA-Z0-9_]{1,64}$"))]
    #[schemars(extend("patternErrorMessage" = "1 to 64 letters, digits or `_`"))]
    pub stage: String,
    /// Throttling burst limit (requests).
    #[schemars(range(min = 1))]
    pub throttle_burst: Option<u32>,
    /// Throttling steady-state rate (requests per second).
    #[schemars(range(min = 1))]
    pub throttle_rate: Option<f64>,
    /// Routes, keyed `"METHOD /path/{param}"`.
    pub route: BTreeMap<String, Route>,
}

/// Multi-factor authentication of the user pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Mfa {
    OFF,
    OPTIONAL,
    ON,
}

/// An app client of the user pool.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Client {
    /// A public client (browser, mobile) gets no secret.
    pub public: bool,
    /// Access and ID token validity in minutes (5 – 1440). Default 60.
    #[schemars(range(min = 5, max = 1440))]
    pub access_token_minutes: Option<u32>,
    /// Refresh token validity in days (1 – 3650). Default 30.
    #[schemars(range(min = 1, max = 3650))]
    pub refresh_token_days: Option<u32>,
    /// OAuth callback URLs.
    pub callback_urls: Option<OneOrMany<String>>,
}

/// The Cognito user pool.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct UserPool {
    /// MFA: `OFF`, `OPTIONAL` or `ON`. PROD environments require `ON` or `OPTIONAL`... see rules.
    pub mfa: Mfa,
    /// Minimum password length (envc requires at least 12).
    #[schemars(range(min = 6, max = 99))]
    pub password_min_length: u32,
    /// App clients: `client "<name>" { … }`.
    pub client: Option<BTreeMap<String, Client>>,
}

/// An audit bucket with hot/warm/cold lifecycle (days since creation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Bucket {
    /// Move objects to STANDARD_IA after this many days (≥ 30).
    #[schemars(range(min = 30))]
    pub warm_after_days: u32,
    /// Move objects to GLACIER after this many days.
    #[schemars(range(min = 1))]
    pub cold_after_days: u32,
    /// Move objects to DEEP_ARCHIVE after this many days.
    #[schemars(range(min = 1))]
    pub archive_after_days: u32,
    /// Delete objects after this many days.
    #[schemars(range(min = 1))]
    pub expire_after_days: u32,
    /// Delete noncurrent versions after this many days. Default 90.
    #[schemars(range(min = 1))]
    pub noncurrent_expire_after_days: Option<u32>,
    /// S3 Object Lock (write-once): `object-lock mode="GOVERNANCE" days=365`, `#true` (defaults) or `#false`. Default: on in PROD, off elsewhere. Once on, it cannot be turned off.
    pub object_lock: Option<ObjectLock>,
}

/// The project file (`envc.kdl`): the service, described once for every environment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ProjectFile {
    /// JSON files only: the schema this file follows.
    #[serde(rename = "$schema", default, skip_serializing)]
    pub schema: Option<String>,
    /// Project name (lowercase, digits, dashes); used in SSM paths and state keys.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]{0,39}$"))]
    #[schemars(extend("patternErrorMessage" = "a lowercase letter, then up to 39 lowercase letters, digits or `-`"))]
    pub project: String,
    /// Short prefix of every generated AWS name (`<prefix>-<env>-<name>`). Default: the project name.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]{0,19}$"))]
    #[schemars(extend("patternErrorMessage" = "a lowercase letter, then up to 19 lowercase letters, digits or `-`"))]
    pub prefix: Option<String>,
    /// Tags of every resource (provider `default_tags`).
    pub tags: Option<BTreeMap<String, String>>,
    /// DynamoDB tables.
    pub table: Option<BTreeMap<String, Table>>,
    /// Lambda functions: their configuration and least-privilege grants (their code comes from their own pipeline).
    pub function: Option<BTreeMap<String, Function>>,
    /// The REST API.
    pub api: Option<Api>,
    /// The Cognito user pool.
    pub user_pool: Option<UserPool>,
    /// Audit buckets.
    pub bucket: Option<BTreeMap<String, Bucket>>,
    /// Alarm thresholds.
    pub alarms: Option<Alarms>,
}

/// The two input kinds, for schema generation and validation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Project,
    Environment,
}

impl Kind {
    pub fn file_name(self) -> &'static str {
        match self {
            Kind::Project => "project.schema.json",
            Kind::Environment => "environment.schema.json",
        }
    }
}

/// The JSON Schema of a file kind, as committed under `schemas/`.
pub fn json_schema(kind: Kind) -> Value {
    let schema = match kind {
        Kind::Project => schema_for!(ProjectFile),
        Kind::Environment => schema_for!(EnvironmentFile),
    };
    serde_json::to_value(schema).expect("schemars output is JSON")
}

/// Pretty JSON text of a schema, with a trailing newline (the committed form).
pub fn json_schema_text(kind: Kind) -> String {
    let mut s = serde_json::to_string_pretty(&json_schema(kind)).expect("schema serializes");
    s.push('\n');
    s
}

/// The schema of a kind, generated once per process.
fn cached_schema(kind: Kind) -> &'static Value {
    static PROJECT: OnceLock<Value> = OnceLock::new();
    static ENV: OnceLock<Value> = OnceLock::new();
    let cell = match kind {
        Kind::Project => &PROJECT,
        Kind::Environment => &ENV,
    };
    cell.get_or_init(|| json_schema(kind))
}

fn validator(kind: Kind) -> &'static jsonschema::Validator {
    static PROJECT: OnceLock<jsonschema::Validator> = OnceLock::new();
    static ENV: OnceLock<jsonschema::Validator> = OnceLock::new();
    let cell = match kind {
        Kind::Project => &PROJECT,
        Kind::Environment => &ENV,
    };
    cell.get_or_init(|| {
        jsonschema::validator_for(cached_schema(kind)).expect("envc's own schema is valid")
    })
}

/// Validate a document's JSON view against its kind's schema and read it into `T`.
/// Every error is returned, each at its place.
pub fn check<T: serde::de::DeserializeOwned>(
    kind: Kind,
    doc: &Document,
) -> Result<T, Vec<Diagnostic>> {
    let schema = cached_schema(kind);
    let validator = validator(kind);
    let mut errors: Vec<Diagnostic> = Vec::new();
    // Most documents are valid: the boolean check is much cheaper than collecting errors.
    let errs = if validator.is_valid(&doc.value) {
        None
    } else {
        Some(validator.iter_errors(&doc.value))
    };
    for e in errs.into_iter().flatten() {
        collect(
            schema,
            doc,
            e.instance_path().as_str(),
            e.kind(),
            &mut errors,
        );
    }
    if errors.is_empty() {
        match T::deserialize(&doc.value) {
            Ok(v) => return Ok(v),
            // The schema and the types agree, so this is an envc bug; still report it at the file.
            Err(e) => errors.push(
                Diagnostic::error("envc::schema::shape", format!("unexpected shape: {e}"))
                    .at(doc.root_span()),
            ),
        }
    }
    errors.sort_by(|a, b| a.span.cmp(&b.span));
    errors.dedup();
    Err(errors)
}

/// What the schema says about one place of a file kind's JSON view: the
/// question an editor asks for completion and hover.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeyInfo {
    /// The key's own description (the doc comment of its field), else its type's.
    pub description: Option<String>,
    /// What is expected, in the words of the error messages (`a boolean (…)`, `one of …`).
    pub expected: String,
    /// The allowed values, when the schema lists them.
    pub values: Vec<Value>,
    /// The named type the value has (`RegionCode`, `Tier`, `Table`, …).
    pub definition: Option<String>,
    /// For a block: its keys with their descriptions, in declaration order.
    pub keys: Vec<(String, Option<String>)>,
    /// For a block: the keys that must be set.
    pub required: Vec<String>,
    /// A map of named entries (`table "<name>" { … }`) rather than a block of fixed keys.
    pub named_entries: bool,
    /// The value is a block (or a map of named entries), not a scalar or a list.
    pub block: bool,
}

/// What the schema of `kind` says about the value at `pointer` (`None` when no
/// such place exists in the schema).
pub fn key_info(kind: Kind, pointer: &str) -> Option<KeyInfo> {
    let root = cached_schema(kind);
    let (mut cur, mut definition) = resolve_named(root, root);
    let mut description = root.get("description");
    for seg in pointer.split('/').skip(1) {
        let seg = unescape_pointer(seg);
        let next = cur
            .get("properties")
            .and_then(|p| p.get(&seg))
            .or_else(|| cur.get("additionalProperties").filter(|v| v.is_object()))
            .or_else(|| cur.get("items"))?;
        description = next.get("description");
        (cur, definition) = resolve_named(root, next);
    }
    let description = description
        .or_else(|| cur.get("description"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let props = cur.get("properties").and_then(Value::as_object);
    let named_entries = cur
        .get("additionalProperties")
        .is_some_and(Value::is_object);
    Some(KeyInfo {
        description,
        expected: expected_from_schema(cur, Syntax::Kdl),
        values: cur
            .get("enum")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        definition: definition.map(str::to_string),
        keys: props
            .iter()
            .flat_map(|p| p.iter())
            .filter(|(k, _)| !k.starts_with('$'))
            .map(|(k, v)| {
                let d = v
                    .get("description")
                    .or_else(|| resolve(root, v).get("description"))
                    .and_then(Value::as_str)
                    .map(str::to_string);
                (k.clone(), d)
            })
            .collect(),
        required: cur
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        named_entries,
        block: props.is_some() || named_entries,
    })
}

/// [`resolve`], also answering the name of the last `$defs` entry passed through.
fn resolve_named<'a>(root: &'a Value, mut s: &'a Value) -> (&'a Value, Option<&'a str>) {
    let mut name = None;
    for _ in 0..16 {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            match r.strip_prefix('#').and_then(|p| root.pointer(p)) {
                Some(t) => {
                    name = r.rsplit('/').next();
                    s = t;
                }
                None => break,
            }
        } else if let Some(alts) = s.get("anyOf").and_then(Value::as_array) {
            match alts
                .iter()
                .find(|a| a.get("type") != Some(&Value::from("null")))
            {
                Some(t) => s = t,
                None => break,
            }
        } else {
            break;
        }
    }
    (s, name)
}

/// The key name a pointer ends in, for messages (`/features/xray` → `features.xray`).
fn dotted(pointer: &str) -> String {
    let parts: Vec<String> = pointer.split('/').skip(1).map(unescape_pointer).collect();
    if parts.is_empty() {
        "the file".to_string()
    } else {
        format!("`{}`", parts.join("."))
    }
}

/// Walk the schema along an instance pointer (following `$ref`, `anyOf`, map `additionalProperties`).
fn schema_at<'a>(root: &'a Value, pointer: &str) -> Option<&'a Value> {
    let mut cur = resolve(root, root);
    for seg in pointer.split('/').skip(1) {
        cur = resolve(root, step(root, cur, &unescape_pointer(seg))?);
    }
    Some(cur)
}

/// The schema of the child `seg` of a value with schema `s`; of the first
/// alternative that has one when `s` is an `anyOf` (one value or a list of them).
fn step<'a>(root: &'a Value, s: &'a Value, seg: &str) -> Option<&'a Value> {
    s.get("properties")
        .and_then(|p| p.get(seg))
        .or_else(|| s.get("additionalProperties").filter(|v| v.is_object()))
        .or_else(|| s.get("items"))
        .or_else(|| {
            s.get("anyOf")
                .and_then(Value::as_array)?
                .iter()
                .find_map(|alt| step(root, deref(root, alt), seg))
        })
}

/// Follow `$ref`s only.
fn deref<'a>(root: &'a Value, mut s: &'a Value) -> &'a Value {
    for _ in 0..16 {
        match s
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|p| root.pointer(p))
        {
            Some(t) => s = t,
            None => break,
        }
    }
    s
}

fn resolve<'a>(root: &'a Value, mut s: &'a Value) -> &'a Value {
    for _ in 0..16 {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            match r.strip_prefix('#').and_then(|p| root.pointer(p)) {
                Some(t) => s = t,
                None => return s,
            }
        } else if let Some(alts) = s.get("anyOf").and_then(Value::as_array) {
            // Option<T> is `anyOf [T, null]`: look through to T. Real
            // alternatives (one value or a list) stay, for `step` to choose from.
            let mut real = alts
                .iter()
                .filter(|a| a.get("type") != Some(&Value::from("null")));
            match (real.next(), real.next()) {
                (Some(t), None) => s = t,
                _ => return s,
            }
        } else {
            return s;
        }
    }
    s
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list of values",
        Value::Object(_) => "a block",
    }
}

fn expected_from_schema(s: &Value, syntax: Syntax) -> String {
    if let Some(opts) = s.get("enum").and_then(Value::as_array) {
        return format!("one of {}", list_values(opts));
    }
    if let Some(alts) = s
        .get("anyOf")
        .or_else(|| s.get("oneOf"))
        .and_then(Value::as_array)
    {
        let names: Vec<String> = alts
            .iter()
            .map(|a| expected_from_schema(a, syntax))
            .collect();
        return names.join(" or ");
    }
    match s.get("type") {
        Some(Value::String(t)) => describe_type(t, syntax),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .map(|t| describe_type(t, syntax))
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "a value".to_string(),
    }
}

fn describe_type(t: &str, syntax: Syntax) -> String {
    match t {
        "boolean" => syntax.boolean(),
        "string" => "a string".into(),
        "integer" => "a whole number".into(),
        "number" => "a number".into(),
        "object" => "a block".into(),
        "array" => "a list of values".into(),
        other => other.to_string(),
    }
}

fn list_values(opts: &[Value]) -> String {
    opts.iter()
        .map(|o| {
            format!(
                "`{}`",
                o.as_str().map_or_else(|| o.to_string(), str::to_string)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Turn one validation error into diagnostics. An `anyOf` (`Option<T>`, one-or-many)
/// whose instance has the type of one branch reports that branch's own errors, so
/// that an unknown key inside `features {}` is reported as such, not as a type error.
fn collect(
    schema: &Value,
    doc: &Document,
    pointer: &str,
    kind: &jsonschema::error::ValidationErrorKind,
    out: &mut Vec<Diagnostic>,
) {
    use jsonschema::error::ValidationErrorKind as K;
    if let K::AnyOf { context } | K::OneOfNotValid { context } = kind {
        let type_mismatch = |errs: &Vec<jsonschema::ValidationError<'static>>| {
            errs.iter().all(|e| {
                matches!(e.kind(), K::Type { .. }) && e.instance_path().as_str() == pointer
            })
        };
        if let Some(branch) = context
            .iter()
            .find(|errs| !errs.is_empty() && !type_mismatch(errs))
        {
            for e in branch {
                collect(schema, doc, e.instance_path().as_str(), e.kind(), out);
            }
            return;
        }
    }
    if let K::AdditionalProperties { unexpected } = kind {
        for key in unexpected {
            out.push(unknown_key(schema, doc, pointer, key));
        }
        return;
    }
    out.push(to_diagnostic(schema, doc, pointer, kind));
}

fn unknown_key(schema: &Value, doc: &Document, pointer: &str, key: &str) -> Diagnostic {
    let child = format!("{pointer}/{}", escape_pointer(key));
    let known: Vec<String> = schema_at(schema, pointer)
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .map(|p| p.keys().filter(|k| !k.starts_with('$')).cloned().collect())
        .unwrap_or_default();
    let d = Diagnostic::error("envc::schema::unknown-key", format!("unknown key `{key}`"))
        .at(doc.key_span(&child))
        .label("unknown key");
    match nearest(key, known.iter().map(String::as_str)) {
        Some(n) => d.did_you_mean(n),
        None if known.is_empty() => d,
        None => d.help(format!(
            "known keys here: {}",
            known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn to_diagnostic(
    schema: &Value,
    doc: &Document,
    pointer: &str,
    kind: &jsonschema::error::ValidationErrorKind,
) -> Diagnostic {
    use jsonschema::error::ValidationErrorKind as K;
    let instance = doc.value.pointer(pointer).unwrap_or(&Value::Null);
    let here = doc.value_span(pointer);
    let what = dotted(pointer);
    match kind {
        K::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let place = if pointer.is_empty() {
                "the file".to_string()
            } else {
                what.clone()
            };
            Diagnostic::error(
                "envc::schema::missing-key",
                format!("missing required key `{name}` in {place}"),
            )
            .at(if pointer.is_empty() {
                Span::file_start(&doc.path)
            } else {
                doc.key_span(pointer)
            })
            .label(format!("`{name}` is required"))
            .suggest(Suggestion::AddKey {
                parent: pointer.to_string(),
                key: name.to_string(),
            })
        }
        K::Enum { options } => {
            let opts = options.as_array().cloned().unwrap_or_default();
            let got = instance
                .as_str()
                .map_or_else(|| instance.to_string(), str::to_string);
            let strs: Vec<String> = opts
                .iter()
                .map(|o| o.as_str().map_or_else(|| o.to_string(), str::to_string))
                .collect();
            let mut d = Diagnostic::error(
                "envc::schema::invalid-value",
                format!("invalid value `{got}` for {what}"),
            )
            .at(here)
            .label(format!("expected one of {}", list_values(&opts)));
            let suggestion = match instance.as_f64() {
                // A number: the closest allowed number.
                Some(x) => opts
                    .iter()
                    .filter_map(Value::as_f64)
                    .min_by(|a, b| (a - x).abs().total_cmp(&(b - x).abs()))
                    .map(|n| n.to_string()),
                None => nearest(&got, strs.iter().map(String::as_str)).map(str::to_string),
            };
            if let Some(n) = suggestion {
                d = d.did_you_mean(&n);
            }
            d
        }
        K::Type { .. } | K::AnyOf { .. } | K::OneOfNotValid { .. } => {
            let syntax = Syntax::of(&here.file);
            let expected = schema_at(schema, pointer).map_or_else(
                || "another type".to_string(),
                |s| expected_from_schema(s, syntax),
            );
            Diagnostic::error(
                "envc::schema::type",
                format!("{what} must be {expected}, found {}", type_name(instance)),
            )
            .at(here)
            .label(format!("expected {expected}"))
        }
        K::Pattern { pattern } => {
            // Say what is expected in words (the schema's `patternErrorMessage`,
            // which JSON editors show too); the regex only when there are none.
            // The schema that holds the pattern: the value's, or one of its alternatives'.
            let at = schema_at(schema, pointer).and_then(|s| {
                std::iter::once(s)
                    .chain(
                        s.get("anyOf")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten(),
                    )
                    .map(|a| deref(schema, a))
                    .find(|a| a.get("pattern").and_then(Value::as_str) == Some(pattern.as_str()))
            });
            let expected = at
                .and_then(|s| s.get("patternErrorMessage"))
                .and_then(Value::as_str)
                .map_or_else(|| format!("a value matching `{pattern}`"), str::to_string);
            let got = instance.as_str().unwrap_or_default();
            let is_region = at.is_some_and(|s| {
                schema
                    .pointer("/$defs/RegionCode")
                    .is_some_and(|r| std::ptr::eq(s, r))
            });
            let help = if is_region {
                nearest(got, crate::aws::REGIONS.iter().copied())
                    .map(|n| format!("did you mean `{n}`?"))
            } else {
                None
            };
            Diagnostic::error(
                "envc::schema::pattern",
                format!("invalid value `{got}` for {what}"),
            )
            .at(here)
            .label(format!("expected {expected}"))
            .help_opt(help)
        }
        K::Minimum { limit } | K::ExclusiveMinimum { limit } => {
            Diagnostic::error("envc::schema::range", format!("{what} is too small"))
                .at(here)
                .label(format!("must be at least {limit}"))
        }
        K::Maximum { limit } | K::ExclusiveMaximum { limit } => {
            Diagnostic::error("envc::schema::range", format!("{what} is too large"))
                .at(here)
                .label(format!("must be at most {limit}"))
        }
        other => Diagnostic::error(
            "envc::schema::invalid",
            format!("invalid value for {what}: {}", other.keyword()),
        )
        .at(here),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_describe_every_env_key_of_the_spec() {
        let s = json_schema(Kind::Environment);
        let props = s["properties"].as_object().unwrap();
        for key in [
            "tier",
            "region",
            "failover-region",
            "pitr",
            "cross-region-replication",
            "account-id",
            "extends",
            "log-retention-days",
            "features",
            "flags",
            "tags",
            "alarms",
            "alert-emails",
            "backend",
        ] {
            assert!(props.contains_key(key), "missing {key}");
            assert!(
                props[key].get("description").is_some(),
                "{key} has no description"
            );
        }
        assert_eq!(s["additionalProperties"], Value::Bool(false));
    }

    #[test]
    fn key_info_walks_blocks_maps_and_options() {
        let tier = key_info(Kind::Environment, "/tier").unwrap();
        assert_eq!(tier.description.as_deref(), Some("The environment's tier."));
        assert_eq!(tier.definition.as_deref(), Some("Tier"));
        assert_eq!(tier.values.len(), 5);
        let region = key_info(Kind::Environment, "/failover-region").unwrap();
        assert_eq!(region.definition.as_deref(), Some("RegionCode"));
        let features = key_info(Kind::Environment, "/features").unwrap();
        assert!(features.block && !features.named_entries);
        assert_eq!(features.keys[0].0, "deletion-protection");
        let table = key_info(Kind::Project, "/table/users").unwrap();
        assert_eq!(table.required, ["hash-key", "attribute"]);
        assert!(key_info(Kind::Project, "/table").unwrap().named_entries);
        let access = key_info(Kind::Project, "/function/f/table/t/access").unwrap();
        assert_eq!(
            access.values,
            [Value::from("read"), "write".into(), "read-write".into()]
        );
        let days = key_info(Kind::Environment, "/log-retention-days").unwrap();
        assert!(days.values.contains(&Value::from(365)));
        assert!(key_info(Kind::Environment, "/nope").is_none());
    }

    #[test]
    fn pointer_escaping_round_trips() {
        assert_eq!(escape_pointer("GET /a/{b}~"), "GET ~1a~1{b}~0");
        assert_eq!(
            unescape_pointer(&escape_pointer("GET /a/{b}~")),
            "GET /a/{b}~"
        );
    }
}
