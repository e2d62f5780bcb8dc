// The envc extension: starts `envc lsp` for envc.kdl and environments/*.{kdl,json}.
// Everything else (diagnostics, completion, hover, definitions, references,
// code actions, outline) is the server's.

import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions } from "vscode-languageclient/node";

import { documentSelector, serverCommand, watchedFiles } from "./config";

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const server = serverCommand(vscode.workspace.getConfiguration("envc").get<string>("path"));
  const serverOptions: ServerOptions = { command: server.command, args: server.args };
  const clientOptions: LanguageClientOptions = {
    documentSelector,
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher(watchedFiles),
    },
  };
  client = new LanguageClient("envc", "envc", serverOptions, clientOptions);
  context.subscriptions.push({ dispose: () => void client?.stop() });
  await client.start();
}

export function deactivate(): Thenable<void> | undefined {
  return client?.stop();
}
