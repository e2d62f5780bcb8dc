"""End-to-end tests of `envc lsp` over stdio, driven by pytest-lsp (an LSP
client that is not part of envc). `ENVC_BIN` names the binary under test.

Each test gets a copy of the example project (envc.kdl, environments/) in a
temporary directory, and a client that initialized with it as its root: with
VS Code's capabilities (UTF-16 positions) or Neovim 0.11's (UTF-8 offered).
"""

import os
import pathlib
import shutil
import sys

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

REPO = pathlib.Path(__file__).resolve().parents[2]
ENVC = os.environ.get("ENVC_BIN") or str(REPO / "target" / "debug" / "envc")


@pytest.fixture
def project(tmp_path: pathlib.Path) -> pathlib.Path:
    shutil.copy(REPO / "envc.kdl", tmp_path / "envc.kdl")
    shutil.copytree(REPO / "environments", tmp_path / "environments")
    return tmp_path


def uri(path: pathlib.Path) -> str:
    return path.as_uri()


async def start(client: LanguageClient, project: pathlib.Path, editor: str):
    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(editor),
            root_uri=uri(project),
            workspace_folders=[types.WorkspaceFolder(uri=uri(project), name="project")],
        )
    )
    client.envc_capabilities = result.capabilities


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[ENVC, "lsp"]))
async def vscode(lsp_client: LanguageClient, project: pathlib.Path):
    """A client with VS Code's capabilities: UTF-16 positions."""
    await start(lsp_client, project, "visual-studio-code")
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[ENVC, "lsp"]))
async def neovim(lsp_client: LanguageClient, project: pathlib.Path):
    """A client with Neovim 0.11's capabilities: it offers UTF-8 positions."""
    await start(lsp_client, project, "neovim@v0.11.0")
    yield
    await lsp_client.shutdown_session()
