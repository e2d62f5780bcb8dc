// What the extension tells the language client: which files envc serves and
// which it watches. Kept apart from the VS Code API so that it can be tested
// with Node alone.

/** The files `envc lsp` reads: the project file and the environment files. */
export const documentSelector = [
  { scheme: "file", pattern: "**/envc.kdl" },
  { scheme: "file", pattern: "**/environments/*.kdl" },
  { scheme: "file", pattern: "**/environments/*.json" },
];

/** Changes on disk that the server must hear of (a file edited outside VS Code, a branch switch). */
export const watchedFiles = "**/{envc.kdl,environments/*.kdl,environments/*.json}";

/** The command line that starts the server. */
export function serverCommand(path: string | undefined): { command: string; args: string[] } {
  return { command: path && path.trim() !== "" ? path : "envc", args: ["lsp"] };
}
