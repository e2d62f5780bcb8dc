//! Origins: where each value of the resolved model comes from.
//!
//! Takes the resolved [`Project`] and [`Environment`]s with the documents they were
//! resolved from, and returns their [`Origins`]: for every value of the model (by its
//! path in the model's JSON form, `/tables/0/hash_key`), the input places, defaults and
//! derivations behind it. Render carries these through the templates
//! ([`crate::trace`]); `envc explain` prints them.
//!
//! Most origins are found mechanically: a model value whose path maps onto a pointer of
//! its input document (`hash_key` → `hash-key`, the list `tables` → the keyed entries
//! `table`, an element → the entry named by its `name` or `key`) and whose value equals
//! what is written there came from there. The mapping is checked value by value, so a
//! field that merely looks like an input but is computed gets no false origin. Only
//! what envc derives or defaults needs a rule of its own, written below next to the
//! resolution it mirrors ([`project_origins`], [`environment_origins`]); a model value
//! with no origin at all is reported by [`Origins::missing`] (tested over the example),
//! so a new derived field cannot go unexplained silently.
//!
//! What this deliberately does not do: decide which values a generated line uses. That
//! is [`crate::trace`]'s job, at render time.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::diag::{Sources, Span};
use crate::load::{Document, escape_pointer};
use crate::model::{
    DEFAULT_LOCK_DAYS, DEFAULT_MEMORY, DEFAULT_TIMEOUT, Environment, Project,
    default_log_retention, path_segments,
};
use crate::schema::Tier;

/// One place of one input file: a JSON pointer of that file's view, with its spans.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Place {
    pub file: Arc<str>,
    /// The pointer in that file's own view (`/table/users/hash-key`).
    pub pointer: String,
    /// The name that introduced it: a node name, a property key, the argument of a
    /// keyed entry (`"users"` of `table "users"`). `None` for list elements.
    pub key: Option<Span>,
    /// The value; for a block or a keyed entry, the whole node.
    pub value: Span,
}

impl Place {
    /// Where to point a reader: the value for `Value`, the name otherwise.
    pub fn span(&self, aspect: Aspect) -> &Span {
        match (aspect, &self.key) {
            (Aspect::Value | Aspect::Extends, _) | (_, None) => &self.value,
            (_, Some(k)) => k,
        }
    }

    /// Whether `self` is `other` or contains it (same file, pointer prefix).
    pub fn contains(&self, other: &Place) -> bool {
        self.file == other.file
            && (self.pointer == other.pointer
                || other.pointer.starts_with(&format!("{}/", self.pointer))
                || self.pointer.is_empty())
    }
}

/// What of a place a model value takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Aspect {
    /// The value written there.
    Value,
    /// The name of a keyed entry or map key (`table "users"`, `tags { owner … }`).
    Name,
    /// That the entry is there at all.
    Entry,
    /// An `extends` link through which a value of another file reaches the environment.
    Extends,
}

impl Aspect {
    pub fn as_str(self) -> &'static str {
        match self {
            Aspect::Value => "value",
            Aspect::Name => "name",
            Aspect::Entry => "entry",
            Aspect::Extends => "extends",
        }
    }
}

/// One reason a model value is what it is.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cite {
    /// Written in an input file.
    At { place: Place, aspect: Aspect },
    /// Several entries that decide together and none alone (a resource of the API exists
    /// while any route under it does): removing all of them changes the value.
    Together { what: String, places: Vec<Place> },
    /// Not written: envc's default, which may depend on other inputs (the tier).
    Default { rule: String, because: Vec<Cite> },
    /// Computed by envc (a naming convention, an identifier) from other inputs.
    Derived { how: String, from: Vec<Cite> },
    /// The environment's name: the stem of its file's name.
    FileStem { file: Arc<str> },
    /// Read from a line of another generated file (the documentation's facts).
    Generated { file: String, line: usize },
    /// Counted over a generated file's `resource` blocks of one type: what decided
    /// which of them the file declares (a branch not taken leaves no line to cite).
    Declares { file: String, ty: String },
}

impl Cite {
    pub fn at(place: Place, aspect: Aspect) -> Cite {
        Cite::At { place, aspect }
    }
    pub fn default(rule: impl Into<String>, because: Vec<Cite>) -> Cite {
        Cite::Default {
            rule: rule.into(),
            because,
        }
    }
    pub fn derived(how: impl Into<String>, from: Vec<Cite>) -> Cite {
        Cite::Derived {
            how: how.into(),
            from,
        }
    }

    /// Every input place this cite rests on, with how it is used (recursively).
    pub fn places(&self, out: &mut Vec<(Place, Aspect)>) {
        match self {
            Cite::At { place, aspect } => out.push((place.clone(), *aspect)),
            Cite::Together { places, .. } => {
                out.extend(places.iter().map(|p| (p.clone(), Aspect::Entry)))
            }
            Cite::Default { because: c, .. } | Cite::Derived { from: c, .. } => {
                c.iter().for_each(|c| c.places(out))
            }
            Cite::FileStem { .. } | Cite::Generated { .. } | Cite::Declares { .. } => {}
        }
    }
}

/// The origins of every value of one model root: model path (a JSON pointer into the
/// model's serialized form, `""` for the root) → its cites.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origins {
    map: BTreeMap<String, Vec<Cite>>,
    /// Paths of the model's values (leaves and containers), for [`Origins::missing`].
    leaves: Vec<String>,
}

impl Origins {
    pub fn get(&self, path: &str) -> &[Cite] {
        self.map.get(path).map_or(&[], Vec::as_slice)
    }

    /// Add `cite` to `path`.
    pub fn add(&mut self, path: impl Into<String>, cite: Cite) {
        let v = self.map.entry(path.into()).or_default();
        if !v.contains(&cite) {
            v.push(cite);
        }
    }

    /// Set `path`'s cites unless the mechanical mapping found some (a default or a
    /// derivation for a value the input did not write).
    pub fn fill(&mut self, path: impl Into<String>, cites: Vec<Cite>) {
        let path = path.into();
        if self.map.get(&path).is_none_or(Vec::is_empty) {
            self.map.insert(path, cites);
        }
    }

    /// [`Origins::fill`] with envc's default `rule`, which depends on no input.
    pub fn fill_default(&mut self, path: impl Into<String>, rule: impl Into<String>) {
        self.fill(path, vec![Cite::default(rule, Vec::new())]);
    }

    /// Replace `path`'s cites.
    pub fn set(&mut self, path: impl Into<String>, cites: Vec<Cite>) {
        self.map.insert(path.into(), cites);
    }

    /// The non-null leaf values of the model that have no origin: each needs a rule in
    /// this module. Empty for a correct set of rules (tested).
    pub fn missing(&self) -> Vec<String> {
        self.leaves
            .iter()
            .filter(|p| self.get(p).is_empty())
            .cloned()
            .collect()
    }

    /// The cites of each element of the list or object at `path` (its direct children).
    pub fn elements(&self, path: &str) -> Vec<Cite> {
        let prefix = format!("{path}/");
        self.map
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| !k[prefix.len()..].contains('/'))
            .flat_map(|(_, c)| c.iter().cloned())
            .collect()
    }

    /// Every path with its cites.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Vec<Cite>)> {
        self.map.iter()
    }
}

/// The place of `pointer` in `doc`, if the document wrote it.
pub fn place(doc: &Document, pointer: &str) -> Option<Place> {
    let l = doc.spans.get(pointer)?;
    Some(Place {
        file: l.value.file.clone(),
        pointer: pointer.to_string(),
        key: l.key.clone(),
        value: l.value.clone(),
    })
}

fn child(ptr: &str, token: &str) -> String {
    format!("{ptr}/{}", escape_pointer(token))
}

// ---------------------------------------------------------------------------
// The mechanical mapping

/// Cites every model value that `doc` wrote verbatim at the corresponding pointer, and
/// every element and object the document holds an entry for. Records the model's leaves.
fn mechanical(model: &Value, doc: &Document) -> Origins {
    let mut o = Origins::default();
    walk(model, "", Some(&doc.value), Some(""), doc, &mut o);
    o
}

/// The input key a model field maps onto: as written, in kebab case, or (for a list)
/// the singular the keyed entries use (`tables` → `table`).
fn input_key<'a>(
    input: &'a serde_json::Map<String, Value>,
    field: &str,
    list: bool,
) -> Option<&'a str> {
    let kebab = field.replace('_', "-");
    let mut candidates = vec![field.to_string(), kebab.clone()];
    if list && let Some(single) = kebab.strip_suffix('s') {
        candidates.push(single.to_string());
    }
    candidates
        .into_iter()
        .find_map(|c| input.get_key_value(&c).map(|(k, _)| k.as_str()))
}

fn walk(
    m: &Value,
    mpath: &str,
    d: Option<&Value>,
    dptr: Option<&str>,
    doc: &Document,
    o: &mut Origins,
) {
    let at = dptr.and_then(|p| place(doc, p));
    match m {
        Value::Object(fields) => {
            if let (Some(p), false) = (&at, mpath.is_empty()) {
                o.add(mpath, Cite::at(p.clone(), Aspect::Entry));
            }
            let input = d.and_then(Value::as_object);
            for (k, v) in fields {
                let here = child(mpath, k);
                let found = input.and_then(|i| input_key(i, k, v.is_array()));
                match (found, dptr) {
                    (Some(key), Some(p)) => {
                        let dchild = child(p, key);
                        walk(
                            v,
                            &here,
                            input.and_then(|i| i.get(key)),
                            Some(&dchild),
                            doc,
                            o,
                        )
                    }
                    _ => walk(v, &here, None, None, doc, o),
                }
            }
        }
        Value::Array(items) => {
            match (d, dptr) {
                // A list of elements named by `name` or `key` ↔ keyed entries.
                (Some(Value::Object(entries)), Some(p)) => {
                    let mut all = Vec::new();
                    for (i, item) in items.iter().enumerate() {
                        let here = format!("{mpath}/{i}");
                        let id = ["name", "key"]
                            .iter()
                            .find_map(|f| Some((*f, item.get(*f)?.as_str()?)));
                        let Some((field, id)) = id.filter(|(_, id)| entries.contains_key(*id))
                        else {
                            walk(item, &here, None, None, doc, o);
                            continue;
                        };
                        let entry = child(p, id);
                        if let Some(e) = place(doc, &entry) {
                            o.add(format!("{here}/{field}"), Cite::at(e.clone(), Aspect::Name));
                            all.push(e);
                        }
                        walk(item, &here, entries.get(id), Some(&entry), doc, o);
                    }
                    if !all.is_empty() {
                        let kind = p.rsplit('/').next().unwrap_or(p);
                        let what = format!("the `{}` entries", crate::load::unescape_pointer(kind));
                        o.add(mpath, Cite::Together { what, places: all });
                    }
                }
                (Some(Value::Array(written)), Some(p)) => {
                    if let Some(a) = &at {
                        o.add(mpath, Cite::at(a.clone(), Aspect::Entry));
                    }
                    for (i, item) in items.iter().enumerate() {
                        let dchild = format!("{p}/{i}");
                        walk(
                            item,
                            &format!("{mpath}/{i}"),
                            written.get(i),
                            Some(&dchild),
                            doc,
                            o,
                        );
                    }
                }
                // One value where a list may stand (`alert-emails "a@x.io"`).
                (Some(one), Some(p)) if !one.is_object() && items.len() == 1 => {
                    if let Some(a) = &at {
                        o.add(mpath, Cite::at(a.clone(), Aspect::Entry));
                    }
                    walk(&items[0], &format!("{mpath}/0"), Some(one), Some(p), doc, o);
                }
                _ => {
                    for (i, item) in items.iter().enumerate() {
                        walk(item, &format!("{mpath}/{i}"), None, None, doc, o);
                    }
                }
            }
        }
        Value::Null => {}
        leaf => {
            o.leaves.push(mpath.to_string());
            if let (Some(written), Some(p)) = (d, at)
                && same(leaf, written)
            {
                o.add(mpath, Cite::at(p, Aspect::Value));
            }
        }
    }
}

/// Whether a model leaf is the value written (numbers compare by value: `100` = `100.0`).
fn same(model: &Value, written: &Value) -> bool {
    match (model, written) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (a, b) => a == b,
    }
}

// ---------------------------------------------------------------------------
// The rules: what envc derives and defaults

/// Cites of one input pointer, or none when the document does not write it.
fn at(doc: &Document, pointer: &str, aspect: Aspect) -> Vec<Cite> {
    place(doc, pointer)
        .map(|p| Cite::at(p, aspect))
        .into_iter()
        .collect()
}

/// The entries of `doc` at `pointers` (those it writes) as one [`Cite::Together`], or
/// `none` as a default when there are none.
fn together(doc: &Document, what: &str, pointers: &[String], none: &str) -> Vec<Cite> {
    let places = pointers.iter().filter_map(|p| place(doc, p)).collect();
    together_places(places, what, none)
}

/// `places` as one [`Cite::Together`], or `none` as a default when there are none.
fn together_places(places: Vec<Place>, what: &str, none: &str) -> Vec<Cite> {
    if places.is_empty() {
        vec![Cite::default(none, Vec::new())]
    } else {
        vec![Cite::Together {
            what: what.to_string(),
            places,
        }]
    }
}

/// A Terraform identifier made of the name of a `what` (`table`, `function`…) cited by `name`.
fn identifier(what: &str, name: Vec<Cite>) -> Vec<Cite> {
    vec![Cite::derived(
        format!("Terraform identifier of the {what}'s name"),
        name,
    )]
}

/// The `function` values of the routes that invoke function `name`.
fn invoking(api: &crate::model::Api, name: &str) -> Vec<String> {
    api.routes
        .iter()
        .filter(|r| r.function == name)
        .map(|r| format!("{}/function", child("/api/route", &r.key)))
        .collect()
}

/// Whether a route invokes function `name`: the routes that do, or (none does) every
/// route's `function`, any of which could name it.
fn invoked_by(p: &Project, doc: &Document, name: &str) -> Vec<Cite> {
    let Some(api) = &p.api else {
        return vec![Cite::default("the project declares no `api`", Vec::new())];
    };
    let routes = invoking(api, name);
    if !routes.is_empty() {
        return together(
            doc,
            &format!("the routes that invoke `{name}`"),
            &routes,
            "no route",
        );
    }
    let every = api
        .routes
        .iter()
        .flat_map(|r| {
            at(
                doc,
                &format!("{}/function", child("/api/route", &r.key)),
                Aspect::Value,
            )
        })
        .collect();
    vec![Cite::derived(format!("no route invokes `{name}`"), every)]
}

/// The origins of a resolved project, resolved from `doc` (the project file).
pub fn project_origins(p: &Project, doc: &Document) -> Origins {
    let model = serde_json::to_value(p).expect("the model serializes");
    let mut o = mechanical(&model, doc);
    let name = at(doc, "/project", Aspect::Value);
    o.set("/name", name.clone());
    o.fill(
        "/prefix",
        vec![Cite::derived(
            "the prefix defaults to the project's name",
            name,
        )],
    );
    let entries = |kind: &str, names: &mut dyn Iterator<Item = &String>| -> Vec<String> {
        names.map(|n| child(&format!("/{kind}"), n)).collect()
    };
    let tables = entries("table", &mut p.tables.iter().map(|t| &t.name));
    o.fill(
        "/tables",
        together(
            doc,
            "the tables",
            &tables,
            "the project declares no `table`",
        ),
    );
    for (i, t) in p.tables.iter().enumerate() {
        let base = child("/table", &t.name);
        let here = format!("/tables/{i}");
        let name = at(doc, &base, Aspect::Name);
        o.set(format!("{here}/id"), identifier("table", name));
        let gsis: Vec<String> = t
            .gsis
            .iter()
            .map(|g| child(&format!("{base}/gsi"), &g.name))
            .collect();
        o.fill(
            format!("{here}/gsis"),
            together(
                doc,
                "the table's indexes",
                &gsis,
                "the table declares no `gsi`",
            ),
        );
        for j in 0..t.gsis.len() {
            o.fill_default(
                format!("{here}/gsis/{j}/projection"),
                "an index projects ALL attributes unless `projection` says otherwise",
            );
        }
    }
    let functions = entries("function", &mut p.functions.iter().map(|f| &f.name));
    o.fill(
        "/functions",
        together(
            doc,
            "the functions",
            &functions,
            "the project declares no `function`",
        ),
    );
    for (i, f) in p.functions.iter().enumerate() {
        let base = child("/function", &f.name);
        let here = format!("/functions/{i}");
        let name = at(doc, &base, Aspect::Name);
        o.set(format!("{here}/id"), identifier("function", name.clone()));
        o.fill(
            format!("{here}/description"),
            vec![Cite::default(
                "the description defaults to `service role of <function>`",
                name.clone(),
            )],
        );
        let mut named = name.clone();
        named.extend(o.get("/name").to_vec());
        o.fill(
            format!("{here}/function_description"),
            match at(doc, &format!("{base}/description"), Aspect::Value) {
                written if written.is_empty() => vec![Cite::default(
                    "the function's description defaults to `<function> of <project>`",
                    named,
                )],
                written => written,
            },
        );
        o.fill_default(
            format!("{here}/architecture"),
            "a function runs on x86_64 unless `architecture` says otherwise",
        );
        o.set(
            format!("{here}/invoked_by_api"),
            invoked_by(p, doc, &f.name),
        );
        let reserved = at(doc, &format!("{base}/reserved-concurrency"), Aspect::Entry);
        o.set(
            format!("{here}/reserves_concurrency"),
            if reserved.is_empty() {
                vec![Cite::default(
                    "no concurrency is reserved unless `reserved-concurrency` is set",
                    Vec::new(),
                )]
            } else {
                vec![Cite::derived(
                    "whether `reserved-concurrency` is set",
                    reserved,
                )]
            },
        );
        // The package names the function and is written for its runtime's family
        // (and, where the family has source handlers, its handler).
        let mut package = name.clone();
        package.extend(at(doc, &format!("{base}/runtime"), Aspect::Value));
        if crate::placeholder::family(&f.runtime) != crate::placeholder::Family::Compiled {
            package.extend(at(doc, &format!("{base}/handler"), Aspect::Value));
        }
        o.set(
            format!("{here}/placeholder"),
            vec![Cite::derived(
                "the placeholder package for the function's runtime and handler",
                package,
            )],
        );
        for (kind, grants) in [("table", &f.tables), ("bucket", &f.buckets)] {
            let list = format!("{here}/{kind}s");
            let ptrs: Vec<String> = grants
                .iter()
                .map(|g| child(&format!("{base}/{kind}"), &g.name))
                .collect();
            o.fill(
                &list,
                together(
                    doc,
                    &format!("the function's {kind} grants"),
                    &ptrs,
                    &format!("the function has no `{kind}` grant"),
                ),
            );
            for (j, g) in grants.iter().enumerate() {
                let gbase = child(&format!("{base}/{kind}"), &g.name);
                let gname = at(doc, &gbase, Aspect::Name);
                let access = at(doc, &format!("{gbase}/access"), Aspect::Value);
                o.set(format!("{list}/{j}/id"), identifier(kind, gname.clone()));
                o.set(
                    format!("{list}/{j}/sid"),
                    vec![Cite::derived(
                        format!("the {kind}'s name in PascalCase (IAM statement ids)"),
                        gname,
                    )],
                );
                for which in ["read", "write"] {
                    o.set(
                        format!("{list}/{j}/{which}"),
                        vec![Cite::derived(
                            format!("whether `access` grants {which}"),
                            access.clone(),
                        )],
                    );
                }
            }
        }
    }
    if let Some(api) = &p.api {
        let route_ptr = |key: &str| child("/api/route", key);
        o.fill_default(
            "/api/throttle_burst",
            "API throttling allows bursts of 100 requests unless `throttle-burst` says otherwise",
        );
        o.fill_default(
            "/api/throttle_rate",
            "API throttling allows 50 requests per second unless `throttle-rate` says otherwise",
        );
        let all: Vec<String> = api.routes.iter().map(|r| route_ptr(&r.key)).collect();
        o.fill(
            "/api/routes",
            together(doc, "the routes", &all, "the API declares no `route`"),
        );
        for (i, r) in api.routes.iter().enumerate() {
            let here = format!("/api/routes/{i}");
            let base = route_ptr(&r.key);
            let key = at(doc, &base, Aspect::Name);
            for field in ["method", "path", "id", "resource", "params"] {
                o.set(
                    format!("{here}/{field}"),
                    vec![Cite::derived(
                        format!("the route's {field}, from its key `{}`", r.key),
                        key.clone(),
                    )],
                );
            }
            for (j, _) in r.params.iter().enumerate() {
                o.set(
                    format!("{here}/params/{j}"),
                    vec![Cite::derived(
                        format!("a path parameter of `{}`", r.key),
                        key.clone(),
                    )],
                );
            }
            o.set(
                format!("{here}/function_id"),
                vec![Cite::derived(
                    "Terraform identifier of the route's function",
                    at(doc, &format!("{base}/function"), Aspect::Value),
                )],
            );
            o.fill_default(
                format!("{here}/auth"),
                "a route needs a Cognito token unless it says `auth=#false`",
            );
        }
        // The resource tree: a resource exists while any route path runs through it.
        let under = |path: &str| -> Vec<String> {
            let segs = path_segments(path);
            api.routes
                .iter()
                .filter(|r| path_segments(&r.path).starts_with(&segs))
                .map(|r| route_ptr(&r.key))
                .collect()
        };
        let with_path: Vec<String> = api
            .routes
            .iter()
            .filter(|r| !path_segments(&r.path).is_empty())
            .map(|r| route_ptr(&r.key))
            .collect();
        o.set(
            "/api/resources",
            together(
                doc,
                "the routes with a path below `/`",
                &with_path,
                "no route has a path below `/`",
            ),
        );
        for (j, res) in api.resources.iter().enumerate() {
            let here = format!("/api/resources/{j}");
            let why = together(
                doc,
                &format!("the routes under `{}`", res.path),
                &under(&res.path),
                "no route",
            );
            o.set(&here, why.clone());
            for field in ["path", "id", "part", "parent"] {
                o.set(
                    format!("{here}/{field}"),
                    vec![Cite::derived(
                        format!("the API resource `{}`, a prefix of route paths", res.path),
                        why.clone(),
                    )],
                );
            }
        }
        // The functions the routes invoke: a declared function that some route's
        // `function` names.
        let mut invoked = Vec::new();
        for (k, f) in api.functions.iter().enumerate() {
            let here = format!("/api/functions/{k}");
            let fptr = child("/function", &f.name);
            let mut why = at(doc, &fptr, Aspect::Entry);
            why.extend(invoked_by(p, doc, &f.name));
            o.set(&here, why);
            let name = at(doc, &fptr, Aspect::Name);
            o.set(format!("{here}/name"), name.clone());
            o.set(format!("{here}/id"), identifier("function", name));
            invoked.extend(invoking(api, &f.name));
        }
        o.set(
            "/api/functions",
            together(doc, "the routes' functions", &invoked, "no route"),
        );
        // Whether any route needs the authorizer.
        let authorized: Vec<String> = api
            .routes
            .iter()
            .filter(|r| r.auth)
            .map(|r| route_ptr(&r.key))
            .collect();
        if authorized.is_empty() {
            let cites = api
                .routes
                .iter()
                .flat_map(|r| at(doc, &format!("{}/auth", route_ptr(&r.key)), Aspect::Value))
                .collect();
            o.set(
                "/api/authorized",
                vec![Cite::derived(
                    "no route needs a Cognito token: every one says `auth=#false`",
                    cites,
                )],
            );
        } else {
            o.set(
                "/api/authorized",
                together(
                    doc,
                    "the routes that need a Cognito token",
                    &authorized,
                    "no route",
                ),
            );
        }
    } else {
        o.fill_default("/api", "the project declares no `api`");
    }
    if let Some(pool) = &p.user_pool {
        let clients: Vec<String> = pool
            .clients
            .iter()
            .map(|c| child("/user-pool/client", &c.name))
            .collect();
        o.fill(
            "/user_pool/clients",
            together(
                doc,
                "the app clients",
                &clients,
                "the user pool declares no `client`",
            ),
        );
        for (i, c) in pool.clients.iter().enumerate() {
            let here = format!("/user_pool/clients/{i}");
            let name = at(doc, &child("/user-pool/client", &c.name), Aspect::Name);
            o.set(format!("{here}/id"), identifier("client", name));
            o.fill_default(
                format!("{here}/access_token_minutes"),
                "access and ID tokens last 60 minutes unless `access-token-minutes` says otherwise",
            );
            o.fill_default(
                format!("{here}/refresh_token_days"),
                "refresh tokens last 30 days unless `refresh-token-days` says otherwise",
            );
            o.fill_default(
                format!("{here}/callback_urls"),
                "the client declares no `callback-urls`",
            );
        }
    } else {
        o.fill_default("/user_pool", "the project declares no `user-pool`");
    }
    let buckets = entries("bucket", &mut p.buckets.iter().map(|b| &b.name));
    o.fill(
        "/buckets",
        together(
            doc,
            "the buckets",
            &buckets,
            "the project declares no `bucket`",
        ),
    );
    for (i, b) in p.buckets.iter().enumerate() {
        let here = format!("/buckets/{i}");
        let name = at(doc, &child("/bucket", &b.name), Aspect::Name);
        o.set(format!("{here}/id"), identifier("bucket", name));
        o.fill_default(format!("{here}/noncurrent_expire_after_days"), "noncurrent versions expire after 90 days unless `noncurrent-expire-after-days` says otherwise");
    }
    for alarm in [
        "api_5xx_errors",
        "api_latency_p99_ms",
        "dynamodb_throttles",
        "dynamodb_system_errors",
    ] {
        o.fill_default(
            format!("/alarms/{alarm}"),
            format!("envc's default `{}` threshold", alarm.replace('_', "-")),
        );
    }
    o
}

/// Which model roots a template sees: `modules`, the modules the project has
/// ([`crate::render::module_enabled`]), each present because of the entries below.
pub fn modules_origins(project: &Origins, modules: &[&str], all: &[&str]) -> Origins {
    let mut o = Origins::default();
    for m in all {
        let from = |path: &str| project.get(path).to_vec();
        let mut cites = match *m {
            "dynamodb" => from("/tables"),
            "iam" | "lambda" => from("/functions"),
            "api-gateway" | "account" => from("/api"),
            "cognito" => from("/user_pool"),
            "s3-audit" => from("/buckets"),
            // Always generated: nothing decides it.
            _ => Vec::new(),
        };
        if !modules.contains(m) {
            cites.retain(|c| matches!(c, Cite::Default { .. }));
        }
        o.set(format!("/{m}"), cites);
    }
    o
}

/// One `extends` link of an environment's chain.
#[derive(Clone, Debug)]
pub struct Link {
    /// The file it leads to.
    pub to: Arc<str>,
    /// The `extends` value.
    pub place: Place,
    /// The environment's model (as JSON) were the link cut: `None` when it would not
    /// compile. A value that differs without the link arrives through it.
    pub without: Option<Value>,
}

/// The origins of a resolved environment. `doc` is its merged document (after
/// `extends`); `extends` are the `extends` links of its chain, first the environment
/// file's own; `project` and `project_doc` are the project's origins and file
/// (environments inherit alarm thresholds and tags).
pub fn environment_origins(
    env: &Environment,
    doc: &Document,
    extends: &[Link],
    project: &Origins,
    project_doc: &Document,
) -> Origins {
    let model = serde_json::to_value(env).expect("the model serializes");
    let mut o = mechanical(&model, doc);
    let stem = vec![Cite::FileStem {
        file: doc.path.clone(),
    }];
    o.set("/name", stem.clone());
    let tier = at(doc, "/tier", Aspect::Value);
    let tier_name = format!("{:?}", env.tier);
    o.fill_default("/pitr", "point-in-time recovery is on unless `pitr #false`");
    o.fill_default(
        "/cross_region_replication",
        "cross-region replication is off unless `cross-region-replication #true`",
    );
    o.fill(
        "/log_retention_days",
        vec![Cite::default(
            format!(
                "default for {tier_name}: logs are kept {} days",
                default_log_retention(env.tier)
            ),
            tier.clone(),
        )],
    );
    let prod = env.tier == Tier::PROD;
    for (feature, by_tier) in [
        ("deletion_protection", true),
        ("xray_tracing", false),
        ("cognito_advanced_security", true),
        ("detailed_metrics", true),
    ] {
        let name = feature.replace('_', "-");
        let cite = if by_tier {
            Cite::default(
                format!(
                    "default for {tier_name}: `{name}` is {} (on for PROD only)",
                    if prod { "on" } else { "off" }
                ),
                tier.clone(),
            )
        } else {
            Cite::default(format!("`{name}` is off unless set"), Vec::new())
        };
        o.fill(format!("/features/{feature}"), vec![cite]);
    }
    let flags: Vec<String> = env.flags.iter().map(|f| child("/flags", &f.name)).collect();
    o.fill(
        "/flags",
        together(doc, "the flags", &flags, "the environment sets no `flags`"),
    );
    for (i, f) in env.flags.iter().enumerate() {
        let here = format!("/flags/{i}");
        let ptr = child("/flags", &f.name);
        let name = at(doc, &ptr, Aspect::Name);
        let value = at(doc, &ptr, Aspect::Value);
        o.set(format!("{here}/id"), identifier("flag", name));
        o.set(format!("{here}/value"), value.clone());
        o.set(
            format!("{here}/kind"),
            vec![Cite::derived("the type of the flag's value", value)],
        );
    }
    // Tags: the environment's over the project's, then `environment`.
    o.set("/tags", Vec::new());
    for key in env.tags.keys() {
        let here = child("/tags", key);
        if key == "environment" {
            o.set(
                &here,
                vec![Cite::derived("the environment's name", stem.clone())],
            );
        } else {
            o.fill(&here, at(project_doc, &child("/tags", key), Aspect::Value));
        }
    }
    for alarm in [
        "api_5xx_errors",
        "api_latency_p99_ms",
        "dynamodb_throttles",
        "dynamodb_system_errors",
    ] {
        let path = format!("/alarms/{alarm}");
        o.fill(&path, project.get(&path).to_vec());
    }
    o.fill_default("/alert_emails", "the environment sets no `alert-emails`");
    let prefix = project.get("/prefix").to_vec();
    let mut name_prefix = prefix.clone();
    name_prefix.extend(stem.clone());
    o.set(
        "/name_prefix",
        vec![Cite::derived(
            "the naming convention `<prefix>-<env>`",
            name_prefix.clone(),
        )],
    );
    let account = at(doc, "/account-id", Aspect::Value);
    let mut bucket = name_prefix.clone();
    bucket.extend(account);
    o.fill(
        "/backend/bucket",
        vec![Cite::derived(
            "the state bucket `<prefix>-<env>-tfstate-<account-id>`",
            bucket,
        )],
    );
    o.fill(
        "/backend/region",
        vec![Cite::derived(
            "the state lives in the environment's region",
            at(doc, "/region", Aspect::Value),
        )],
    );
    let mut key = project.get("/name").to_vec();
    key.extend(stem.clone());
    o.fill(
        "/backend/key",
        vec![Cite::derived(
            "the state key `<project>/<env>/terraform.tfstate`",
            key,
        )],
    );
    o.fill(
        "/backend/lock_table",
        vec![Cite::derived(
            "the lock table `<prefix>-<env>-tflock`",
            name_prefix,
        )],
    );
    o.fill(
        "/backend/kms_key",
        vec![Cite::derived(
            "the state's KMS key `alias/<prefix>-<env>-tfstate`",
            o.get("/name_prefix").to_vec(),
        )],
    );
    o.fill_default(
        "/owns_account_settings",
        "a root owns the account's settings unless `owns-account-settings #false`",
    );
    for i in 0..env.adopt.len() {
        o.fill(format!("/adopt/{i}"), at(doc, "/adopt", Aspect::Value));
    }
    let inputs = EnvInputs {
        model: &model,
        doc,
        project,
        project_doc,
    };
    function_origins(&mut o, env, &inputs);
    bucket_origins(&mut o, env, &inputs, &tier);
    callback_origins(&mut o, env, &inputs);
    with_extends(&mut o, &model, extends);
    o
}

/// What the rules of an environment's per-entry values read: its model (as JSON), its
/// document after `extends`, and the project's origins and file.
struct EnvInputs<'a> {
    model: &'a Value,
    doc: &'a Document,
    project: &'a Origins,
    project_doc: &'a Document,
}

/// Cites the model values under `mpath` that `doc` writes verbatim under `dptr` (the
/// mechanical mapping, anchored elsewhere: an environment's function settings in the
/// project file), where nothing cites them yet (the environment's own setting wins).
fn fill_from(o: &mut Origins, model: &Value, mpath: &str, doc: &Document, dptr: &str) {
    let Some(m) = model.pointer(mpath) else {
        return;
    };
    let mut found = Origins::default();
    walk(
        m,
        mpath,
        doc.value.pointer(dptr),
        Some(dptr),
        doc,
        &mut found,
    );
    for (path, cites) in found.map {
        o.fill(path, cites);
    }
}

/// The environment's list of the project's `kind` entries (`functions`, one per
/// `function` of the project, in its order): the list, each element, its name and id are
/// the project's; each setting the project writes counts where the environment writes
/// none ([`fill_from`]). Returns each element's model path and project pointer.
fn project_elements<'a>(
    o: &mut Origins,
    inputs: &EnvInputs,
    kind: &str,
    names: impl Iterator<Item = &'a str>,
) -> Vec<(String, String)> {
    let EnvInputs {
        model,
        project,
        project_doc,
        ..
    } = inputs;
    let list = format!("/{kind}s");
    o.set(&list, project.get(&list).to_vec());
    names
        .enumerate()
        .map(|(i, name)| {
            let here = format!("{list}/{i}");
            let ptr = child(&format!("/{kind}"), name);
            for field in ["", "/name", "/id"] {
                let path = format!("{here}{field}");
                o.set(&path, project.get(&path).to_vec());
            }
            fill_from(o, model, &here, project_doc, &ptr);
            (here, ptr)
        })
        .collect()
}

/// Each function of the project with the environment's settings: there because the
/// project declares it; each setting the environment's, else the project's, else
/// envc's default.
fn function_origins(o: &mut Origins, env: &Environment, inputs: &EnvInputs) {
    let (doc, project_doc) = (inputs.doc, inputs.project_doc);
    let names = env.functions.iter().map(|f| f.name.as_str());
    let elements = project_elements(o, inputs, "function", names);
    for (f, (here, ptr)) in env.functions.iter().zip(elements) {
        // Non-empty while any variable is set, in the environment or the project.
        let vars: Vec<Place> = f
            .environment
            .keys()
            .flat_map(|key| {
                let var = child(&format!("{ptr}/environment"), key);
                [place(doc, &var), place(project_doc, &var)]
            })
            .flatten()
            .collect();
        o.set(
            format!("{here}/environment"),
            together_places(
                vars,
                "the function's `environment` variables",
                "the function sets no `environment` variables",
            ),
        );
        o.fill_default(
            format!("{here}/memory"),
            format!("a function gets {DEFAULT_MEMORY} MB unless `memory` says otherwise"),
        );
        let timeout = format!(
            "a function times out after {DEFAULT_TIMEOUT} seconds unless `timeout` says otherwise"
        );
        o.fill_default(format!("{here}/timeout"), timeout);
        o.fill(
            format!("{here}/tracing"),
            vec![Cite::default(
                "tracing follows `xray-tracing` (Active when on, PassThrough otherwise) unless `tracing` says otherwise",
                o.get("/features/xray_tracing").to_vec(),
            )],
        );
    }
}

/// Each bucket of the project with its Object Lock in this environment: the
/// environment's `object-lock`, else the project's, else on in PROD only.
fn bucket_origins(o: &mut Origins, env: &Environment, inputs: &EnvInputs, tier: &[Cite]) {
    let (doc, project, project_doc) = (inputs.doc, inputs.project, inputs.project_doc);
    let names = env.buckets.iter().map(|b| b.name.as_str());
    let elements = project_elements(o, inputs, "bucket", names);
    for (here, ptr) in elements {
        let lock = format!("{ptr}/object-lock");
        let setting = [doc, project_doc].into_iter().find_map(|d| {
            let p = place(d, &lock)?;
            let aspect = if d.value.pointer(&lock).is_some_and(Value::is_boolean) {
                Aspect::Value
            } else {
                Aspect::Entry
            };
            Some(Cite::at(p, aspect))
        });
        let tier_name = format!("{:?}", env.tier);
        o.set(
            format!("{here}/object_lock"),
            vec![setting.unwrap_or_else(|| {
                Cite::default(
                    format!(
                        "default for {tier_name}: Object Lock is {} (on for PROD only)",
                        if env.tier == Tier::PROD { "on" } else { "off" }
                    ),
                    tier.to_vec(),
                )
            })],
        );
        o.fill_default(
            format!("{here}/object_lock/mode"),
            "Object Lock's mode is GOVERNANCE unless `mode` says otherwise",
        );
        o.fill(
            format!("{here}/object_lock/days"),
            vec![Cite::default(
                format!(
                    "Object Lock keeps versions {DEFAULT_LOCK_DAYS} days, or the bucket's `expire-after-days` when shorter, unless `days` says otherwise"
                ),
                project.get(&format!("{here}/expire_after_days")).to_vec(),
            )],
        );
    }
}

/// The app clients with callback URLs in this environment: the environment's
/// `callback-urls` of a client, else the project's.
fn callback_origins(o: &mut Origins, env: &Environment, inputs: &EnvInputs) {
    let (doc, project_doc) = (inputs.doc, inputs.project_doc);
    let mut all = Vec::new();
    for (k, c) in env.callback_urls.iter().enumerate() {
        let here = format!("/callback_urls/{k}");
        let client = child("/user-pool/client", &c.name);
        let name = at(project_doc, &client, Aspect::Name);
        o.set(format!("{here}/name"), name.clone());
        o.set(format!("{here}/id"), identifier("client", name));
        // The URLs are the environment's, else the project's; the client is listed
        // while either has some.
        let ptr = format!("{client}/callback-urls");
        let written: Vec<(&Document, Place)> = [doc, project_doc]
            .into_iter()
            .filter_map(|d| Some((d, place(d, &ptr)?)))
            .collect();
        if let Some((d, p)) = written.first() {
            let urls = serde_json::to_value(&c.urls).unwrap_or_default();
            walk(
                &urls,
                &format!("{here}/urls"),
                d.value.pointer(&ptr),
                Some(&ptr),
                d,
                o,
            );
            o.set(
                format!("{here}/urls"),
                vec![Cite::at(p.clone(), Aspect::Entry)],
            );
        }
        let places: Vec<Place> = written.into_iter().map(|(_, p)| p).collect();
        all.extend(places.iter().cloned());
        o.set(
            &here,
            together_places(
                places,
                &format!("the `callback-urls` of `{}`", c.name),
                "the client has no `callback-urls`",
            ),
        );
    }
    o.set(
        "/callback_urls",
        together_places(
            all,
            "the clients' `callback-urls`",
            "no app client has `callback-urls`",
        ),
    );
}

/// A value that would differ without an `extends` link (or not exist, or not compile)
/// arrives through it: cite the link. A value the environment file sets itself, or whose
/// default is the same either way, does not.
fn with_extends(o: &mut Origins, model: &Value, extends: &[Link]) {
    for (path, cites) in o.map.iter_mut() {
        if cites.is_empty() {
            continue;
        }
        for link in extends {
            let differs = match &link.without {
                None => true,
                Some(without) => differs(model, without, path),
            };
            let cite = Cite::at(link.place.clone(), Aspect::Extends);
            if differs && !cites.contains(&cite) {
                cites.push(cite);
            }
        }
    }
}

/// Whether the value at model path `path` differs between `a` and `b`. Elements of
/// lists named by `name` or `key` are matched by name, not position (a flag from the
/// extended file shifts the others); a list or object is compared for being empty.
fn differs(a: &Value, b: &Value, path: &str) -> bool {
    let (mut x, mut y) = (Some(a), Some(b));
    for token in path.split('/').skip(1) {
        let token = crate::load::unescape_pointer(token);
        let (Some(xa), yb) = (x, y) else {
            return y.is_some();
        };
        match (xa, yb) {
            (Value::Array(items), yb) => {
                let i: usize = token.parse().unwrap_or(usize::MAX);
                let item = items.get(i);
                let id = item.and_then(|it| {
                    ["name", "key"]
                        .iter()
                        .find_map(|f| Some((*f, it.get(*f)?.clone())))
                });
                x = item;
                y = match (id, yb) {
                    (Some((f, id)), Some(Value::Array(other))) => {
                        other.iter().find(|o| o.get(f) == Some(&id))
                    }
                    (None, Some(Value::Array(other))) => other.get(i),
                    _ => None,
                };
            }
            (Value::Object(m), yb) => {
                x = m.get(&token);
                y = yb.and_then(|v| v.get(&token));
            }
            _ => return true,
        }
    }
    match (x, y) {
        (Some(Value::Array(p)), Some(Value::Array(q))) => p.is_empty() != q.is_empty(),
        (Some(Value::Object(p)), Some(Value::Object(q))) => p.is_empty() != q.is_empty(),
        (Some(p), Some(q)) => !same(p, q),
        (None, None) => false,
        _ => true,
    }
}

// ---------------------------------------------------------------------------
// Places for diagnostics

/// A document and the origins found in it.
type Placed = (Document, Origins);

/// Where the inputs set the model values a diagnostic is about, found when one asks: a
/// stateful-change warning ([`crate::changes`]) or a rule across environments names a
/// value of the model (`/tables/1/hash_key`, an environment's `/region`) and points at
/// the key that set it. The origins (and the documents they need, parsed from the
/// sources) are computed on the first question only: most builds ask none.
pub struct Placer<'a> {
    sources: &'a Sources,
    project: &'a Project,
    /// The project file and its origins.
    project_origins: OnceLock<Option<(Document, Origins)>>,
    /// Every environment file, parsed, by stem.
    env_docs: OnceLock<BTreeMap<String, Document>>,
    /// Per environment asked about: its document after `extends` and its origins.
    envs: RefCell<BTreeMap<String, Option<Rc<Placed>>>>,
}

impl<'a> Placer<'a> {
    pub fn new(sources: &'a Sources, project: &'a Project) -> Placer<'a> {
        Placer {
            sources,
            project,
            project_origins: OnceLock::new(),
            env_docs: OnceLock::new(),
            envs: RefCell::default(),
        }
    }

    fn project_origins(&self) -> Option<&(Document, Origins)> {
        self.project_origins
            .get_or_init(|| {
                let path: Arc<str> = crate::PROJECT_FILE.into();
                let doc = crate::load::parse_document(&path, self.sources.get(&path)?).ok()?;
                let origins = project_origins(self.project, &doc);
                Some((doc, origins))
            })
            .as_ref()
    }

    /// Where the project's model value at `path` was set.
    pub fn project(&self, path: &str) -> Option<Span> {
        first_place(self.project_origins()?.1.get(path))
    }

    /// Where environment `env`'s model value at `path` was set (`/name`: its file).
    pub fn environment(&self, env: &Environment, path: &str) -> Option<Span> {
        first_place(self.environment_origins(env)?.1.get(path))
    }

    /// The key at `pointer` of environment `env`'s document after `extends`: a block that
    /// no model value stands for (`flags`, when a warning is about a flag that is gone).
    pub fn environment_key(&self, env: &Environment, pointer: &str) -> Option<Span> {
        place(&self.environment_origins(env)?.0, pointer).map(|p| p.span(Aspect::Name).clone())
    }

    /// Environment `env`'s document after `extends` and its origins, once per environment.
    fn environment_origins(&self, env: &Environment) -> Option<Rc<Placed>> {
        if let Some(known) = self.envs.borrow().get(&env.name) {
            return known.clone();
        }
        let found = self.merged(env).and_then(|doc| {
            let (project_doc, project) = self.project_origins()?;
            let origins = environment_origins(env, &doc, &[], project, project_doc);
            Some(Rc::new((doc, origins)))
        });
        self.envs
            .borrow_mut()
            .insert(env.name.clone(), found.clone());
        found
    }

    /// Environment `env`'s document after `extends`.
    fn merged(&self, env: &Environment) -> Option<Document> {
        let docs = self.env_docs.get_or_init(|| {
            let paths: Vec<&str> = self.sources.iter().map(|(p, _)| &**p).collect();
            let (files, _) = crate::environment_files(paths.into_iter());
            files
                .into_iter()
                .filter_map(|(stem, p)| {
                    let text = self.sources.get(p)?;
                    let doc = crate::load::parse_document(&Arc::from(p), text).ok()?;
                    Some((stem.to_string(), doc))
                })
                .collect()
        });
        crate::load::resolve_extends(&env.name, docs).ok()
    }
}

/// The key of the first input place `cites` name directly or through a derivation (not
/// through a default: a default is set by no key), or the start of the file an
/// environment's name comes from.
fn first_place(cites: &[Cite]) -> Option<Span> {
    cites.iter().find_map(|c| match c {
        Cite::At { place, .. } => Some(place.span(Aspect::Name).clone()),
        Cite::Together { places, .. } => places.first().map(|p| p.span(Aspect::Name).clone()),
        Cite::Derived { from, .. } => first_place(from),
        Cite::FileStem { file } => Some(Span::file_start(file)),
        Cite::Default { .. } | Cite::Generated { .. } | Cite::Declares { .. } => None,
    })
}
