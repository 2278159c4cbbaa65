//! `Config::resolve` on arbitrary JSON objects.
//!
//! Asserts: never panics, with an empty environment and with the object's string members
//! used as the environment; a resolved config has a non-empty path and a positive
//! event size bound.
#![no_main]

use bytehot_eventstore::Config;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

fn check(config: &Config) {
    assert!(!config.path.as_os_str().is_empty());
    assert!(config.max_event_size > 0);
}

fuzz_target!(|data: &[u8]| {
    let Ok(settings) = serde_json::from_slice::<Map<String, Value>>(data) else {
        return;
    };
    if let Ok(config) = Config::resolve(&settings, Vec::<(String, String)>::new()) {
        check(&config);
    }
    let env: Vec<(String, String)> = settings
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
        .collect();
    if let Ok(config) = Config::resolve(&Map::new(), env) {
        check(&config);
    }
});
