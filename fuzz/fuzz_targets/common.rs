//! Helpers shared by the fuzz targets (included with `mod common;`).

/// The JSON text without the whitespace between tokens: two texts with equal `minify`
/// have exactly the same tokens (strings and numbers byte for byte) in the same order.
/// Written independently of `reindent`, so it can check it.
pub fn minify(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if !matches!(c, ' ' | '\n' | '\r' | '\t') {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}
