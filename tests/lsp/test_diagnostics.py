"""1. Diagnostics (and 2. positions): on initialize, on every change, for the
files an edit affects (open or not), cleared when fixed; JSON environments get
the semantic rules; ranges in the negotiated encoding."""

from lsprotocol import types
from pytest_lsp import LanguageClient

from helpers import diagnostics, edit, open_file, replace_all, rng, settled

BASE_ACCOUNT = 'account-id "111111111111"\n'


async def test_initialize_checks_every_file_and_an_edit_clears_the_error(vscode: LanguageClient, project):
    sit = project / "environments" / "sit.kdl"
    assert vscode.envc_capabilities.position_encoding == "utf-16"
    await settled(vscode, project)
    assert diagnostics(vscode, sit) == []
    text = sit.read_text()
    open_file(vscode, sit, text)
    replace_all(vscode, sit, 2, text.replace('region "eu-west-1"', 'region "eu-wset-1"'))
    await settled(vscode, project)
    assert diagnostics(vscode, sit) == [
        ((2, 7, 2, 18), "envc::rules::unknown-region", "unknown AWS region `eu-wset-1`\nhelp: did you mean `eu-west-1`?")
    ]
    edit(vscode, sit, 3, rng(2, 12, 2, 14), "es")
    await settled(vscode, project)
    assert diagnostics(vscode, sit) == []


async def test_an_edit_of_base_rechecks_unopened_inheritors(vscode: LanguageClient, project):
    env = project / "environments"
    for name, account in [("dev", "111111111111"), ("sit", "222222222222")]:
        f = env / f"{name}.kdl"
        f.write_text(f.read_text().replace(f'account-id "{account}"\n', ""))
    base = env / "_base.kdl"
    original = base.read_text()
    base.write_text(original + BASE_ACCOUNT)
    # The project was read at initialize, before these writes: tell the server.
    vscode.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=(env / n).as_uri(), type=types.FileChangeType.Changed) for n in ["dev.kdl", "sit.kdl", "_base.kdl"]]
        )
    )
    await settled(vscode, project)
    assert diagnostics(vscode, env / "dev.kdl") == []
    open_file(vscode, base)
    replace_all(vscode, base, 2, original)
    await settled(vscode, project)
    for name in ["dev", "sit"]:
        (d,) = diagnostics(vscode, env / f"{name}.kdl")
        assert d[:2] == ((0, 0, 0, 0), "envc::rules::account-id-required")
    assert diagnostics(vscode, env / "prod.kdl") == []


async def test_an_edit_of_the_project_rechecks_every_environment(vscode: LanguageClient, project):
    envc = project / "envc.kdl"
    text = envc.read_text()
    open_file(vscode, envc, text)
    # PROD environments require the user pool's MFA `ON`: reported in envc.kdl, for prod.
    replace_all(vscode, envc, 2, text.replace('mfa "ON"', 'mfa "OPTIONAL"'))
    await settled(vscode, project)
    line = text.splitlines().index('    mfa "ON"')
    assert diagnostics(vscode, envc) == [
        ((line, 8, line, 18), "envc::rules::prod-mfa",
         "the user pool's MFA is `OPTIONAL`, but PROD environment `prod` requires `ON`")
    ]
    replace_all(vscode, envc, 3, text)
    await settled(vscode, project)
    assert diagnostics(vscode, envc) == []


async def test_json_environments_get_the_semantic_rules(vscode: LanguageClient, project):
    qa = project / "environments" / "qa.json"
    text = '{\n  "tier": "PROD",\n  "region": "eu-west-1",\n  "account-id": "444444444444",\n  "pitr": false\n}\n'
    open_file(vscode, qa, text)
    await settled(vscode, project)
    assert diagnostics(vscode, qa) == [
        ((4, 10, 4, 15), "envc::rules::prod-pitr", "point-in-time recovery cannot be turned off in a PROD environment")
    ]


async def test_a_file_over_the_input_limit_gets_one_diagnostic(vscode: LanguageClient, project):
    dev = project / "environments" / "dev.kdl"
    open_file(vscode, dev, 'tier "DEV"\n// ' + "x" * (16 << 20) + "\n")
    await settled(vscode, project)
    (d,) = diagnostics(vscode, dev)
    assert d[:2] == ((0, 0, 0, 0), "envc::load::too-large")


async def test_ranges_are_utf16_for_vscode_and_utf8_for_neovim(vscode: LanguageClient, neovim: LanguageClient, project):
    dev = project / "environments" / "dev.kdl"
    prefix = 'tags { team "Zoë😀" }; '
    text = dev.read_text() + prefix + 'regoin "x"\n'
    line = len(text.splitlines()) - 1
    assert neovim.envc_capabilities.position_encoding == "utf-8"
    for client, start in [(vscode, len(prefix.encode("utf-16-le")) // 2), (neovim, len(prefix.encode()))]:
        open_file(client, dev, text)
        await settled(client, project)
        (d,) = diagnostics(client, dev)
        assert d[0] == (line, start, line, start + 6), client.envc_capabilities.position_encoding
    assert (len(prefix.encode("utf-16-le")) // 2, len(prefix.encode())) == (23, 26)
