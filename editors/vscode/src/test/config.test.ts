import { strict as assert } from "node:assert";
import { test } from "node:test";

import { documentSelector, serverCommand, watchedFiles } from "../config";

test("the server is `envc lsp`, or the configured binary", () => {
  assert.deepEqual(serverCommand(undefined), { command: "envc", args: ["lsp"] });
  assert.deepEqual(serverCommand("  "), { command: "envc", args: ["lsp"] });
  assert.deepEqual(serverCommand("/opt/envc/bin/envc"), { command: "/opt/envc/bin/envc", args: ["lsp"] });
});

test("the project file and both kinds of environment file are served and watched", () => {
  assert.deepEqual(
    documentSelector.map((s) => s.pattern),
    ["**/envc.kdl", "**/environments/*.kdl", "**/environments/*.json"],
  );
  for (const s of documentSelector) assert.equal(s.scheme, "file");
  assert.equal(watchedFiles, "**/{envc.kdl,environments/*.kdl,environments/*.json}");
});
