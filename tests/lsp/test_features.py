"""3.–8. Completion, hover, definition, references, code actions, document
symbols; formatting is not offered."""

from lsprotocol import types
from pytest_lsp import LanguageClient

from helpers import diagnostics, doc, line_of, open_file, pos, replace_all, settled


async def complete(client, path, text, line, character):
    open_file(client, path, text)
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=doc(path), position=pos(line, character))
    )
    items = result.items if isinstance(result, types.CompletionList) else result
    return {i.label: i for i in items}


async def test_completion(vscode: LanguageClient, project):
    prod = project / "environments" / "prod.kdl"
    text = prod.read_text() + "log\n"
    n = len(text.splitlines()) - 1
    items = await complete(vscode, prod, text, n, 3)
    assert {"tier", "region", "features", "log-retention-days"} <= items.keys()
    assert items["log-retention-days"].detail.endswith("· default for PROD: 365")
    assert items["log-retention-days"].documentation.value.startswith("CloudWatch Logs retention in days")

    items = await complete(vscode, prod, prod.read_text() + 'region "eu-w\n', n, 12)
    assert items["eu-west-1"].detail == "Europe (Ireland)"
    assert items["eu-west-1"].text_edit.new_text == 'eu-west-1"'

    envc = project / "envc.kdl"
    text = envc.read_text() + 'function "f" {\n    table "\n}\n'
    n = len(text.splitlines()) - 2
    items = await complete(vscode, envc, text, n, 11)
    assert list(items) == ["users", "roles", "role-assignments", "sessions"]
    text = envc.read_text() + 'api {\n    route "GET /x" function=\n}\n'
    items = await complete(vscode, envc, text, n, 28)
    assert "users-api" in items and items["users-api"].text_edit.new_text == '"users-api"'


async def test_hover(vscode: LanguageClient, project):
    dev = project / "environments" / "dev.kdl"
    open_file(vscode, dev)
    await settled(vscode, project)
    hover = await vscode.text_document_hover_async(
        types.HoverParams(text_document=doc(dev), position=pos(0, 2))
    )
    assert "Inherited by `dev`:\n\n- `pitr`: `#true` — set in _base.kdl:2" in hover.contents.value
    hover = await vscode.text_document_hover_async(
        types.HoverParams(text_document=doc(dev), position=pos(5, 2))
    )
    assert "- `deletion-protection`: `#false` — default for DEV" in hover.contents.value
    envc = project / "envc.kdl"
    text = envc.read_text()
    open_file(vscode, envc, text)
    line = line_of(text, 'table "sessions" access="read-write"')
    hover = await vscode.text_document_hover_async(
        types.HoverParams(text_document=doc(envc), position=pos(line, 13))
    )
    decl = line_of(text, 'table "sessions" hash-key') + 1
    assert f"Defined in `envc.kdl:{decl}` (table)" in hover.contents.value
    # On a key: the generated lines it affects, each a link to its line.
    base = project / "environments" / "_base.kdl"
    open_file(vscode, base)
    hover = await vscode.text_document_hover_async(
        types.HoverParams(text_document=doc(base), position=pos(1, 1))
    )
    value = hover.contents.value
    assert "Generates 4 lines:" in value, value
    tfvars = project / "terraform" / "environments" / "sit" / "terraform.tfvars"
    assert f"- [`terraform/environments/sit/terraform.tfvars:7`]({tfvars.as_uri()}#L7)" in value, value
    # dev sets `pitr` itself now: _base's reaches sit only.
    replace_all(vscode, dev, 2, dev.read_text() + "pitr #true\n")
    hover = await vscode.text_document_hover_async(
        types.HoverParams(text_document=doc(base), position=pos(1, 1))
    )
    value = hover.contents.value
    assert "Generates 2 lines:" in value and "environments/dev/" not in value, value


async def test_definition_and_references(vscode: LanguageClient, project):
    envc = project / "envc.kdl"
    text = envc.read_text()
    open_file(vscode, envc, text)
    line = line_of(text, 'route "GET /roles" function=')
    (loc,) = await vscode.text_document_definition_async(
        types.DefinitionParams(text_document=doc(envc), position=pos(line, 40))
    )
    assert loc.uri == envc.as_uri() and loc.range.start.line == line_of(text, 'function "roles-api"')
    refs = await vscode.text_document_references_async(
        types.ReferenceParams(
            text_document=doc(envc),
            position=pos(line_of(text, 'table "roles" hash-key'), 8),
            context=types.ReferenceContext(include_declaration=False),
        )
    )
    assert [r.range.start.line for r in refs] == [i for i, l in enumerate(text.splitlines()) if 'table "roles" access' in l]
    dev = project / "environments" / "dev.kdl"
    open_file(vscode, dev)
    (loc,) = await vscode.text_document_definition_async(
        types.DefinitionParams(text_document=doc(dev), position=pos(0, 10))
    )
    assert loc.uri == (project / "environments" / "_base.kdl").as_uri()


async def test_code_action_applies_and_clears_the_diagnostic(vscode: LanguageClient, project):
    dev = project / "environments" / "dev.kdl"
    text = dev.read_text().replace("xray-tracing", "xray-tracin").replace('features {\n', 'features {\n    xray-tracin #true\n')
    open_file(vscode, dev, text)
    await settled(vscode, project)
    ((r, code, _),) = diagnostics(vscode, dev)
    assert code == "envc::schema::unknown-key"
    actions = await vscode.text_document_code_action_async(
        types.CodeActionParams(
            text_document=doc(dev),
            range=types.Range(start=pos(r[0], r[1]), end=pos(r[2], r[3])),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    (action,) = actions
    assert action.title == "Replace with `xray-tracing`" and action.kind == "quickfix"
    (e,) = action.edit.changes[dev.as_uri()]
    lines = text.splitlines(keepends=True)
    line = lines[e.range.start.line]
    lines[e.range.start.line] = line[: e.range.start.character] + e.new_text + line[e.range.end.character :]
    replace_all(vscode, dev, 2, "".join(lines))
    await settled(vscode, project)
    assert diagnostics(vscode, dev) == []


async def test_document_symbols(vscode: LanguageClient, project):
    envc = project / "envc.kdl"
    symbols = await vscode.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc(envc)))
    by_name = {s.name: s for s in symbols}
    assert by_name["users"].detail == "table" and by_name["users"].kind == types.SymbolKind.Struct
    assert by_name["audit"].detail == "bucket"
    api = by_name["api"]
    assert "GET /users/{user_id}" in [c.name for c in api.children]


async def test_formatting_is_not_offered(vscode: LanguageClient):
    assert vscode.envc_capabilities.document_formatting_provider is None
    assert vscode.envc_capabilities.hover_provider
