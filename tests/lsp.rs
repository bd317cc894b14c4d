//! `duijie lsp` as an editor talks to it: a process speaking JSON-RPC over
//! its standard input and output (Content-Length framing).

use std::path::Path;

use serde_json::{json, Value};

#[path = "../testdata/lsp_client.rs"]
mod lsp_client;

use lsp_client::Client;

fn position_of(text: &str, needle: &str, skip: usize) -> Value {
    let at = text.find(needle).unwrap() + skip;
    let before = &text[..at];
    let line = before.matches('\n').count();
    let col: usize = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .map(char::len_utf16)
        .sum();
    json!({"line": line, "character": col})
}

#[test]
fn an_editor_gets_diagnostics_completion_hover_definitions_and_fixes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = root.join("maps/wdt_purchase_to_kingdee.map");
    let text = std::fs::read_to_string(&file).unwrap();
    let uri = format!("file://{}", file.display());
    let mut c = Client::start(Path::new(env!("CARGO_BIN_EXE_duijie")));

    let init = c.request(
        "initialize",
        json!({"processId": null, "rootUri": format!("file://{}", root.display()), "capabilities": {}}),
    );
    assert_eq!(init["capabilities"]["hoverProvider"], true, "{init}");
    c.notify("initialized", json!({}));
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "duijie-map", "version": 1, "text": text}}),
    );
    assert_eq!(
        c.diagnostics(&uri),
        Vec::<Value>::new(),
        "the seed scheme is clean"
    );

    // Completion at a line field's value: the line's fields with their labels.
    let at = position_of(
        &text,
        "FQty                      = num",
        "FQty                      = ".len(),
    );
    let items = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": at}),
    );
    let items = items.as_array().unwrap();
    let num = items
        .iter()
        .find(|i| i["label"] == "num")
        .expect("num is offered");
    assert_eq!(num["detail"], "数量 · decimal", "{num}");
    assert!(items.iter().any(|i| i["label"] == "round"), "functions too");
    assert!(
        items.iter().any(|i| i["label"] == "purchase_no"),
        "and the order's fields"
    );
    // On the left, the line's target fields not yet assigned.
    let left = position_of(&text, "    FQty ", 4);
    let targets = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": left}),
    );
    let labels: Vec<&str> = targets
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(labels.contains(&"FDeliveryDate"), "{labels:?}");
    assert!(!labels.contains(&"FQty"), "FQty is assigned: {labels:?}");

    // Hover and definition.
    let hover = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": position_of(&text, "= num", 3)}),
    );
    let shown = hover["contents"]["value"].as_str().unwrap();
    assert!(
        shown.contains("数量") && shown.contains("decimal") && shown.contains("details_list.num"),
        "{shown}"
    );
    let def = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": position_of(&text, "= ORG_PURCHASE", 3)}),
    );
    assert!(
        def["uri"]
            .as_str()
            .unwrap()
            .ends_with("maps/shared/kingdee_codes.map"),
        "{def}"
    );
    assert_eq!(def["range"]["start"]["line"], 3, "{def}");
    let def = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": position_of(&text, "= num", 3)}),
    );
    assert!(
        def["uri"]
            .as_str()
            .unwrap()
            .ends_with("specs/wdt/purchase_order_query.toml"),
        "{def}"
    );

    // A typo: E0101 at the word, with the fix.
    let typo = text.replacen(
        "FQty                      = num",
        "FQty                      = nmu",
        1,
    );
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": typo}]}),
    );
    let diags = c.diagnostics(&uri);
    assert_eq!(diags.len(), 1, "{diags:?}");
    let d = &diags[0];
    assert_eq!(d["code"], "E0101");
    let start = position_of(&typo, "= nmu", 2);
    assert_eq!(d["range"]["start"], start);
    assert_eq!(
        d["range"]["end"]["character"],
        start["character"].as_i64().unwrap() + 3
    );
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": d["range"], "context": {"diagnostics": [d]}}),
    );
    let edit = &actions[0]["edit"]["changes"][&uri][0];
    assert_eq!(edit["newText"], "num", "{actions}");
    assert_eq!(edit["range"], d["range"]);

    // Half-typed text never takes the server down.
    for cut in [10, 200, 400, text.len() - 3] {
        let mut end = cut.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": &text[..end]}]}),
        );
        c.diagnostics(&uri);
        c.request(
            "textDocument/completion",
            json!({"textDocument": {"uri": uri}, "position": {"line": 9999, "character": 0}}),
        );
    }

    let shutdown = c.request("shutdown", Value::Null);
    assert_eq!(shutdown, Value::Null);
    c.notify("exit", Value::Null);
    let status = c.child.wait().unwrap();
    assert!(status.success(), "{status}");
}
