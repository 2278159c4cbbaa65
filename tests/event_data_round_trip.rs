//! `eventData` comes back with exactly its meaning: numbers beyond i64/f64, Unicode,
//! emoji, escaped NUL, deep nesting and a 200 KiB base64 string, through the files.

mod common;

use common::*;

const DATA: &str = r#"{"big":123456789012345678901234567890,"negbig":-98765432109876543210,"u64max":18446744073709551615,"precise":0.1000000000000000055511151231257827,"tiny":1e-400,"huge":1.5E+400,"neg0":-0,"text":"é日本語🚀👩‍👩‍👧 \u0000 nul \"quoted\" \\ back \n\t \u2028 \ud83d\ude80","nested":{"a":[1,[2,[3,[4,{"b":{"c":[]}}]]]],"empty":{},"null":null,"t":true,"f":false},"ws":"  keep  \n  spaces  "}"#;

#[test]
fn event_data_keeps_every_token_through_file_and_reopen() {
    let t = TempStore::new();
    let store = t.open();
    let stored = store
        .append(ev_with(meta("t", "a", "1"), "Data", DATA))
        .unwrap();
    let expected = bytehot_eventstore::reindent(DATA, 0);
    assert_eq!(data_tokens(&stored), expected);
    drop(store);
    let store = t.open();
    let read = store.read_aggregate("t", "a", 0).unwrap();
    assert_eq!(data_tokens(&read[0]), expected);
    // Exact tokens: the number texts are the input's, not a float's.
    for token in [
        "123456789012345678901234567890",
        "-98765432109876543210",
        "0.1000000000000000055511151231257827",
        "1e-400",
        "1.5E+400",
        "-0",
        r"\u0000",
        r"\ud83d\ude80",
        "👩‍👩‍👧",
    ] {
        assert!(read[0].data.get().contains(token), "{token}");
    }
    // The file itself is pretty-printed, valid JSON, and decodes to the same strings.
    let dir = t.base.join("t").join("a");
    let file = std::fs::read_to_string(dir.join(&event_file_names(&dir)[0])).unwrap();
    assert!(file.contains("\n  \"eventData\""));
    #[derive(serde::Deserialize)]
    struct Data {
        text: String,
        ws: String,
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct File {
        event_data: Data,
    }
    let v: File = serde_json::from_str(&file).unwrap();
    let text = v.event_data.text;
    assert!(text.contains('\0') && text.contains("🚀") && text.contains('\u{2028}'));
    assert_eq!(v.event_data.ws, "  keep  \n  spaces  ");
    // Other reads return the same tokens.
    assert_eq!(
        data_tokens(&store.read_by_type("Data").unwrap()[0]),
        expected
    );
    assert_eq!(
        data_tokens(&store.read_event("t", "a", 1).unwrap()),
        expected
    );
}

#[test]
fn a_200_kib_base64_string_and_other_json_shapes_round_trip() {
    let t = TempStore::new();
    let store = t.open();
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let blob: String = (0..200 * 1024)
        .map(|i| alphabet[(i * 7 + i / 64) % 64] as char)
        .collect();
    let data = format!(r#"{{"classFile":"/x/Y.class","newBytecode":"{blob}=="}}"#);
    let shapes = [
        data.as_str(),
        "[]",
        "[1,\"two\",null]",
        "\"just a string\"",
        "42",
        "null",
        "{}",
        "true",
    ];
    for (i, d) in shapes.iter().enumerate() {
        store
            .append(ev_with(meta("t", "a", &format!("{i}")), "Data", d))
            .unwrap();
    }
    drop(store);
    let store = t.open();
    let events = store.read_aggregate("t", "a", 0).unwrap();
    for (e, d) in events.iter().zip(shapes) {
        assert_eq!(data_tokens(e), bytehot_eventstore::reindent(d, 0));
    }
    let v: serde_json::Value = serde_json::from_str(events[0].data.get()).unwrap();
    assert_eq!(v["newBytecode"].as_str().unwrap().len(), 200 * 1024 + 2);
}
