//! Keys that break naive backends.

use anykv_core::MAX_KEY_LEN;

/// Keys every backend must store and return unchanged: the empty key, Unicode, path
/// separators and traversal, NUL, glob and escape characters, reserved file names and case
/// variants, and keys at the 1024-byte limit.
pub fn nasty_keys() -> Vec<String> {
    let mut keys: Vec<String> = [
        "",
        "a",
        "A",
        "key",
        "Key",
        "ü🦀 ключ",
        "a/b",
        "/",
        "..",
        "../escape",
        "\\",
        "a\\..\\b",
        "nul\0byte",
        "%",
        "%2F",
        "a:b",
        "ns:key",
        "*",
        "?",
        "[a-z]",
        "*?[]^\\",
        "CON",
        "con",
        "NUL",
        " lead and trail ",
        "line\nbreak",
        "$where",
        "a.b",
        "tab\t",
        "\u{feff}bom",
    ]
    .iter()
    .map(|k| (*k).to_owned())
    .collect();
    keys.push("k".repeat(MAX_KEY_LEN));
    keys.push("é".repeat(MAX_KEY_LEN / 2));
    keys.push(format!("{}x", "ü".repeat(MAX_KEY_LEN / 2 - 1)));
    keys.push("/".repeat(MAX_KEY_LEN));
    keys
}
