//! The crate boundaries of ARCHITECTURE.md, enforced: reads `cargo metadata` and fails when a
//! crate depends on one it must not (data flows engine ← types ← llm ← store ← app ← frontend /
//! server; the engine does no I/O; the store knows no web framework; the browser's half never
//! links the store).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

/// The workspace's dependency graph, normal (non-dev, non-build) dependencies only.
struct Workspace {
    /// Direct dependencies declared in each workspace member's Cargo.toml.
    declared: BTreeMap<String, Vec<Declared>>,
    /// The workspace members' names.
    members: BTreeSet<String>,
}

/// A dependency as a member's Cargo.toml declares it.
#[derive(Debug)]
struct Declared {
    name: String,
    optional: bool,
    features: Vec<String>,
}

/// The cargo that runs the tests.
fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

fn workspace() -> Workspace {
    let out = Command::new(cargo())
        .args(["metadata", "--format-version", "1", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON");
    let members: BTreeSet<String> = meta["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_string())
        .collect();
    let mut declared = BTreeMap::new();
    let mut member_names = BTreeSet::new();
    for p in meta["packages"].as_array().unwrap() {
        let id = p["id"].as_str().unwrap().to_string();
        let name = p["name"].as_str().unwrap().to_string();
        if !members.contains(&id) {
            continue;
        }
        member_names.insert(name.clone());
        let deps = p["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["kind"].is_null())
            .map(|d| Declared {
                name: d["name"].as_str().unwrap().to_string(),
                optional: d["optional"].as_bool().unwrap_or(false),
                features: d["features"]
                    .as_array()
                    .map(|f| f.iter().map(|x| x.as_str().unwrap().to_string()).collect())
                    .unwrap_or_default(),
            })
            .collect();
        declared.insert(name, deps);
    }
    Workspace {
        declared,
        members: member_names,
    }
}

impl Workspace {
    /// The workspace crates `krate` declares as normal dependencies (optional ones included).
    fn ours(&self, krate: &str) -> BTreeSet<&str> {
        self.declared[krate]
            .iter()
            .filter(|d| self.members.contains(&d.name))
            .map(|d| d.name.as_str())
            .collect()
    }

    /// Everything `krate` links through normal dependencies with its own default features,
    /// transitively, as `cargo tree` resolves them for it alone.
    fn closure(&self, krate: &str) -> BTreeSet<String> {
        cargo_tree(&["-e", "normal", "--format", "{lib}", "-p", krate])
            .lines()
            .map(|l| l.trim().replace('_', "-"))
            .filter(|l| !l.is_empty() && l != &krate.replace('_', "-"))
            .collect()
    }
}

/// What `cargo tree --offline --prefix none ARGS` prints (it must succeed).
fn cargo_tree(args: &[&str]) -> String {
    let out = Command::new(cargo())
        .args(["tree", "--offline", "--prefix", "none"])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Crates that do I/O or run a web framework: never in the engine or the data types.
const IO_CRATES: [&str; 10] = [
    "tokio",
    "sqlx",
    "reqwest",
    "hyper",
    "axum",
    "leptos",
    "mio",
    "tower",
    "argon2",
    "getrandom",
];

/// The Leptos and web-server crates: never in the store.
const WEB_CRATES: [&str; 5] = [
    "leptos",
    "leptos-axum",
    "leptos-router",
    "leptos-meta",
    "axum",
];

#[test]
fn every_crate_is_where_the_architecture_says() {
    let expected = [
        "engine",
        "types",
        "llm",
        "store",
        "app",
        "frontend",
        "server",
        "graft-python",
        "columnar",
        "allocator",
    ];
    let w = workspace();
    let members: BTreeSet<&str> = w.members.iter().map(String::as_str).collect();
    assert_eq!(members, expected.into_iter().collect());
}

#[test]
fn the_engine_depends_on_nothing_of_ours_and_does_no_io() {
    let w = workspace();
    assert!(w.ours("engine").is_empty(), "{:?}", w.ours("engine"));
    let links = w.closure("engine");
    for c in IO_CRATES {
        assert!(!links.contains(c), "the engine links {c}");
    }
}

#[test]
fn the_data_types_are_serde_and_the_engine_only() {
    let w = workspace();
    let direct: BTreeSet<&str> = w.declared["types"]
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(direct, BTreeSet::from(["engine", "serde"]));
    let links = w.closure("types");
    for c in IO_CRATES {
        assert!(!links.contains(c), "the data types link {c}");
    }
}

#[test]
fn data_flows_one_way() {
    let w = workspace();
    let allowed: [(&str, &[&str]); 10] = [
        ("engine", &[]),
        // The binary's global allocator (and, as a dev-dependency, the engine benches').
        ("allocator", &[]),
        ("types", &["engine"]),
        ("llm", &["engine"]),
        // Variants as Parquet: the engine's records in Arrow columns, no I/O of its own.
        ("columnar", &["engine"]),
        ("store", &["engine", "types", "llm", "columnar"]),
        ("app", &["engine", "types", "store"]),
        ("frontend", &["engine", "types", "app"]),
        (
            "server",
            &[
                "engine",
                "types",
                "llm",
                "store",
                "app",
                "columnar",
                "allocator",
            ],
        ),
        // The Python package is the engine behind PyO3: no model client, no database.
        ("graft-python", &["engine"]),
    ];
    for (krate, may) in allowed {
        let may: BTreeSet<&str> = may.iter().copied().collect();
        let ours = w.ours(krate);
        let wrong: Vec<&&str> = ours.difference(&may).collect();
        assert!(wrong.is_empty(), "{krate} depends on {wrong:?}");
    }
}

#[test]
fn the_store_knows_no_web_framework() {
    let w = workspace();
    let links = w.closure("store");
    for c in WEB_CRATES {
        assert!(!links.contains(c), "the store links {c}");
    }
}

#[test]
fn the_browser_half_of_the_app_never_links_the_store() {
    let w = workspace();
    // The app reaches the store, the model client and the server-side crates only under
    // feature `ssr` (optional dependencies); the bundle (`frontend`) takes the app without it.
    for d in &w.declared["app"] {
        if [
            "store",
            "llm",
            "sqlx",
            "tokio",
            "leptos_axum",
            "tower-sessions",
        ]
        .contains(&d.name.as_str())
        {
            assert!(d.optional, "app depends on {} outside feature ssr", d.name);
        }
    }
    let app = w.declared["frontend"]
        .iter()
        .find(|d| d.name == "app")
        .expect("the frontend depends on the app");
    assert!(
        !app.features.iter().any(|f| f == "ssr"),
        "the frontend turns on app/ssr"
    );
    let closure = w.closure("frontend");
    assert!(!closure.contains("store") && !closure.contains("sqlx"));
}

/// The engine features `krate`'s build turns on (`cargo tree -e features`), for `target`.
fn engine_features(krate: &str, target: Option<&str>) -> BTreeSet<String> {
    let mut args = vec!["-e", "features", "-p", krate];
    if let Some(t) = target {
        args.extend(["--target", t]);
    }
    cargo_tree(&args)
        .lines()
        .filter_map(|l| l.strip_prefix("engine feature \""))
        .filter_map(|l| l.split('"').next())
        .map(str::to_string)
        .collect()
}

#[test]
fn the_browser_builds_the_engine_without_the_python_reader() {
    // `reextract` (reading a program again when a structural number changes) pulls the Python
    // parser into whatever links it: the bundle must not turn it on; the store (and so the
    // server and the CLI) must.
    let browser = engine_features("frontend", Some("wasm32-unknown-unknown"));
    assert!(
        !browser.contains("reextract") && !browser.contains("default"),
        "{browser:?}"
    );
    assert!(engine_features("store", None).contains("reextract"));
}
