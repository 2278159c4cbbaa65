//! The store's settings as the Java side reads them, so that the tool opens the store an
//! application configured: the `bytehot.eventstore` section of a YAML file (nested, flat
//! or mixed keys) or `bytehot.eventstore.<key>` lines of a properties file, named by
//! `--config` or else the first of `bytehot.yml`, `bytehot.yaml`, `application.yml`,
//! `application.yaml` in the working directory; then the command line's own options; the
//! environment (`BYTEHOT_EVENTSTORE_*`) is applied last by [`Config::from_settings`].
//!
//! Invariant: every rule here matches `EventStoreConfiguration` on the Java side (an
//! unknown key, a key set twice, a list or an empty value is an error naming the file).

use std::path::{Path, PathBuf};

use bytehot_eventstore::{Config, SETTINGS};
use serde_json::{Map, Value};
use yaml_rust2::{Yaml, YamlLoader};

const SECTION: &str = "bytehot.eventstore";

const DEFAULT_FILES: [&str; 4] = [
    "bytehot.yml",
    "bytehot.yaml",
    "application.yml",
    "application.yaml",
];

/// A configuration file that cannot be used, with the reason.
#[derive(Debug)]
pub struct SettingsError(pub String);

/// Settings read from the configuration file (if any) with `overrides` applied, resolved
/// against the environment.
pub fn resolve(
    config_file: Option<&Path>,
    working_dir: &Path,
    overrides: &[(&str, String)],
) -> Result<Config, SettingsError> {
    let mut settings = match config_file {
        Some(file) => read_file(&working_dir.join(file), "named by --config")?,
        None => DEFAULT_FILES
            .iter()
            .map(|name| working_dir.join(name))
            .find(|file| file.exists())
            .map(|file| read_file(&file, "found in the working directory"))
            .transpose()?
            .unwrap_or_default(),
    };
    for (key, value) in overrides {
        settings.insert((*key).to_string(), Value::String(value.clone()));
    }
    Config::from_settings(&settings).map_err(|e| SettingsError(e.to_string()))
}

fn read_file(file: &Path, origin: &str) -> Result<Map<String, Value>, SettingsError> {
    let shown = std::path::absolute(file).unwrap_or_else(|_| PathBuf::from(file));
    let content = std::fs::read(file).map_err(|e| {
        SettingsError(format!(
            "cannot read the configuration file {} {origin}: {e}",
            shown.display()
        ))
    })?;
    let content = String::from_utf8(content).map_err(|_| {
        SettingsError(format!(
            "the configuration file {} is not UTF-8 text",
            shown.display()
        ))
    })?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut settings = Map::new();
    if name.ends_with(".yml") || name.ends_with(".yaml") {
        let documents = YamlLoader::load_from_str(&content).map_err(|e| {
            SettingsError(format!(
                "cannot parse the YAML file {}: {e}",
                shown.display()
            ))
        })?;
        for document in &documents {
            if let Yaml::Hash(_) = document {
                read_mapping(document, "", &mut settings, &shown)?;
            }
        }
    } else {
        read_properties(&content, &mut settings, &shown)?;
    }
    Ok(settings)
}

fn read_properties(
    content: &str,
    settings: &mut Map<String, Value>,
    file: &Path,
) -> Result<(), SettingsError> {
    let prefix = format!("{SECTION}.");
    for line in content.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let split = line.find(['=', ':']).unwrap_or(line.len());
        let (key, value) = line.split_at(split);
        let value = value.get(1..).unwrap_or("");
        if let Some(key) = key.trim().strip_prefix(&prefix) {
            put(settings, key, value.trim(), file)?;
        }
    }
    Ok(())
}

/// Walks a mapping whose keys, dot-joined after `prefix`, are full names, collecting the
/// settings of the section: the nested form, the flat one and any mix read alike.
fn read_mapping(
    mapping: &Yaml,
    prefix: &str,
    settings: &mut Map<String, Value>,
    file: &Path,
) -> Result<(), SettingsError> {
    let Yaml::Hash(entries) = mapping else {
        return Ok(());
    };
    let in_section = prefix == SECTION || prefix.starts_with(&format!("{SECTION}."));
    for (key, value) in entries {
        let Some(key) = scalar(key) else {
            if in_section {
                return Err(SettingsError(format!(
                    "the {SECTION} section of {} has a key that is not a plain name",
                    file.display()
                )));
            }
            continue;
        };
        let name = if prefix.is_empty() {
            key
        } else {
            format!("{prefix}.{key}")
        };
        if name == SECTION {
            match value {
                Yaml::Hash(_) => read_mapping(value, &name, settings, file)?,
                Yaml::Null => {}
                _ => {
                    return Err(SettingsError(format!(
                        "{SECTION} in {} is not a map of settings",
                        file.display()
                    )));
                }
            }
        } else if let Some(key) = name.strip_prefix(&format!("{SECTION}.")) {
            read_setting(key, value, settings, file)?;
        } else if SECTION.starts_with(&format!("{name}.")) && matches!(value, Yaml::Hash(_)) {
            read_mapping(value, &name, settings, file)?;
        }
    }
    Ok(())
}

fn read_setting(
    key: &str,
    value: &Yaml,
    settings: &mut Map<String, Value>,
    file: &Path,
) -> Result<(), SettingsError> {
    match value {
        Yaml::Hash(_) => {
            // Only a key some setting continues (cleanup) may hold a map.
            if !SETTINGS
                .iter()
                .any(|(known, _)| known.starts_with(&format!("{key}.")))
            {
                return Err(unknown_key(key, file));
            }
            read_mapping(value, &format!("{SECTION}.{key}"), settings, file)
        }
        Yaml::Array(_) => Err(SettingsError(format!(
            "the setting {key} in {} is a list; it takes a single value",
            file.display()
        ))),
        Yaml::Null => Err(SettingsError(format!(
            "the setting {key} in {} has no value; remove it to keep the default",
            file.display()
        ))),
        other => match scalar(other) {
            Some(text) => put(settings, key, &text, file),
            None => Err(SettingsError(format!(
                "the setting {key} in {} is not a plain value",
                file.display()
            ))),
        },
    }
}

fn scalar(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn put(
    settings: &mut Map<String, Value>,
    key: &str,
    value: &str,
    file: &Path,
) -> Result<(), SettingsError> {
    if !SETTINGS.iter().any(|(known, _)| *known == key) {
        return Err(unknown_key(key, file));
    }
    if settings.contains_key(key) {
        return Err(SettingsError(format!(
            "the setting {key} is set twice in {}; set it once (every document of a YAML \
             file applies: profiles are not evaluated)",
            file.display()
        )));
    }
    settings.insert(key.to_string(), Value::String(value.to_string()));
    Ok(())
}

fn unknown_key(key: &str, file: &Path) -> SettingsError {
    let known: Vec<&str> = SETTINGS.iter().map(|(k, _)| *k).collect();
    SettingsError(format!(
        "unknown setting {key} in {}; known: {}",
        file.display(),
        known.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(name: &str, content: &str) -> Result<Map<String, Value>, SettingsError> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(name);
        std::fs::write(&file, content).unwrap();
        read_file(&file, "for the test")
    }

    #[test]
    fn the_spec_sample_yaml_section_reads_nested_and_flat_alike() {
        let nested = read(
            "bytehot.yml",
            "bytehot:\n  eventstore:\n    path: ./x\n    max-events-per-file: 1000\n    cleanup:\n      max-age-days: 30\nother: 1\n",
        )
        .unwrap();
        let flat = read(
            "bytehot.yml",
            "bytehot.eventstore.path: ./x\nbytehot.eventstore:\n  max-events-per-file: 1000\n  cleanup.max-age-days: 30\n",
        )
        .unwrap();
        assert_eq!(nested, flat);
        assert_eq!(nested["max-events-per-file"], "1000");
        assert_eq!(nested["cleanup.max-age-days"], "30");
    }

    #[test]
    fn unknown_twice_set_list_and_empty_settings_are_errors_naming_the_file() {
        for (content, expected) in [
            (
                "bytehot.eventstore:\n  colour: red\n",
                "unknown setting colour",
            ),
            (
                "bytehot.eventstore.path: a\nbytehot:\n  eventstore:\n    path: b\n",
                "set twice",
            ),
            ("bytehot.eventstore:\n  path: [a, b]\n", "is a list"),
            ("bytehot.eventstore:\n  path:\n", "has no value"),
        ] {
            let error = read("application.yaml", content).unwrap_err().0;
            assert!(error.contains(expected), "{error}");
            assert!(error.contains("application.yaml"), "{error}");
        }
    }

    #[test]
    fn a_properties_file_gives_the_keys_under_the_prefix() {
        let settings = read(
            "store.properties",
            "# comment\nbytehot.eventstore.durability = batch\nunrelated=1\n",
        )
        .unwrap();
        assert_eq!(settings.len(), 1);
        assert_eq!(settings["durability"], "batch");
    }
}
