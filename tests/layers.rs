//! The crate's modules depend downward only (src/lib.rs lists the layers): a module may use
//! the modules of its own layer or below, never above. Read from the `use crate::...` lines and
//! `crate::` paths of src/, so a new upward dependency fails here, not in review.

use std::collections::BTreeMap;
use std::path::Path;

/// Each module and its layer, top (0) to bottom.
const LAYERS: &[(&str, u8)] = &[
    ("ffi", 0),
    ("pool", 0),
    ("fuzzing", 0),
    ("session", 1),
    ("state", 2),
    ("flows", 3),
    ("client", 4),
    ("gate", 5),
    ("http", 6),
    ("response", 6),
    ("rest", 6),
    ("slots", 7),
    ("multipart", 7),
    ("config", 6),
    ("cookie_file", 7),
    ("oauth", 7),
    ("params", 7),
    ("credentials", 7),
    ("json", 8),
    ("cookies", 8),
    ("log", 8),
    ("error", 9),
    ("test_support", 9),
];

fn layer(module: &str) -> u8 {
    LAYERS
        .iter()
        .find(|(name, _)| *name == module)
        .unwrap_or_else(|| panic!("tests/layers.rs: add src/{module}.rs to LAYERS"))
        .1
}

#[test]
fn modules_depend_downward_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            for inner in std::fs::read_dir(&path).unwrap() {
                files.push(inner.unwrap().path());
            }
        } else {
            files.push(path);
        }
    }
    let mut upward = BTreeMap::new();
    for path in files {
        let relative = path.strip_prefix(&src).unwrap();
        let module = relative.iter().next().unwrap().to_str().unwrap();
        let module = module.trim_end_matches(".rs");
        if module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // The module's own tests may reach anywhere.
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
        for (at, _) in code.match_indices("crate::") {
            let used: String = code[at + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if used.is_empty() || used == "VERSION" || used == module {
                continue;
            }
            if layer(&used) < layer(module) {
                upward
                    .entry(format!("{} -> {used}", relative.display()))
                    .or_insert(());
            }
        }
    }
    assert!(
        upward.is_empty(),
        "upward dependencies: {:?}",
        upward.keys().collect::<Vec<_>>()
    );
}
