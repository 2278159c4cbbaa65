//! The derived metadata files (`aggregate-types.json`, `event-schema-versions.json`,
//! `storage-statistics.json`), which the store reads back from disk.
//!
//! Asserts: parsing never panics, and what parses serializes (pretty, as the store
//! writes it) and re-parses to an equal value.
#![no_main]

use bytehot_eventstore::{AggregateTypesFile, SchemaVersionsFile, StorageStatistics};
use libfuzzer_sys::fuzz_target;
use serde::{Serialize, de::DeserializeOwned};

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(data: &[u8]) {
    if let Ok(value) = serde_json::from_slice::<T>(data) {
        let bytes = serde_json::to_vec_pretty(&value).expect("serializes");
        let again: T = serde_json::from_slice(&bytes).expect("its own output parses");
        assert_eq!(again, value);
    }
}

fuzz_target!(|data: &[u8]| {
    round_trip::<AggregateTypesFile>(data);
    round_trip::<SchemaVersionsFile>(data);
    round_trip::<StorageStatistics>(data);
});
