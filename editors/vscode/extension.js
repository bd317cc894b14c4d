// Starts `duijie lsp` for .map files.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("duijie").get("path") || "duijie";
  client = new LanguageClient(
    "duijie",
    "duijie",
    { command, args: ["lsp"] },
    { documentSelector: [{ scheme: "file", language: "duijie-map" }] }
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
