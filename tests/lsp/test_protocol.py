"""9. Robustness: unknown requests, failing requests, shutdown and exit."""

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcMethodNotFound
from pytest_lsp import LanguageClient

from helpers import doc, open_file, pos, settled


async def test_unknown_request_is_method_not_found_and_the_server_goes_on(vscode: LanguageClient, project):
    with pytest.raises(JsonRpcMethodNotFound):
        await vscode.protocol.send_request_async("envc/nothing", {})
    dev = project / "environments" / "dev.kdl"
    open_file(vscode, dev, "tier {{{ \"\n\\")
    result = await vscode.text_document_hover_async(
        types.HoverParams(text_document=doc(dev), position=pos(10_000, 10_000))
    )
    assert result is None
    await settled(vscode, project)


async def test_shutdown_then_exit_ends_the_server_with_status_0(vscode: LanguageClient):
    await vscode.shutdown_async(None)
    vscode.exit(None)
    assert await vscode._server.wait() == 0
    vscode.capabilities = None  # already shut down: the fixture has nothing left to do
