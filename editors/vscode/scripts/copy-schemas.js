// The JSON Schemas VS Code validates environments/*.json with are the ones
// envc commits under schemas/: copied into the extension when it is built.
const fs = require("fs");
const path = require("path");

const from = path.join(__dirname, "..", "..", "..", "schemas");
const to = path.join(__dirname, "..", "schemas");
fs.mkdirSync(to, { recursive: true });
for (const name of ["environment.schema.json", "project.schema.json"]) {
  fs.copyFileSync(path.join(from, name), path.join(to, name));
}
