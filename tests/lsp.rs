//! `duijie lsp` as an editor talks to it: a process speaking JSON-RPC over
//! its standard input and output (Content-Length framing).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: mpsc::Receiver<Value>,
    next_id: i64,
}

fn read_message(out: &mut BufReader<ChildStdout>) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if out.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    out.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_duijie"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, incoming) = mpsc::channel();
        std::thread::spawn(move || {
            while let Some(m) = read_message(&mut stdout) {
                if tx.send(m).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            stdin,
            incoming,
            next_id: 1,
        }
    }

    fn send(&mut self, message: Value) {
        let body = serde_json::to_string(&message).unwrap();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its result (notifications on the way are
    /// dropped).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let m = self.next();
            if m["id"] == id {
                assert!(m.get("error").is_none(), "{method}: {m}");
                return m["result"].clone();
            }
        }
    }

    fn next(&mut self) -> Value {
        self.incoming
            .recv_timeout(Duration::from_secs(20))
            .expect("an answer from duijie lsp")
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        loop {
            let m = self.next();
            if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }
}

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
    let mut c = Client::start();

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
