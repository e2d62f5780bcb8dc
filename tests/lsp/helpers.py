"""What the scenarios share: opening and editing files, waiting for the server."""

import pathlib

from lsprotocol import types
from pytest_lsp import LanguageClient


def doc(path: pathlib.Path) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=path.as_uri())


def open_file(client: LanguageClient, path: pathlib.Path, text: str | None = None):
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=path.as_uri(),
                language_id="json" if path.suffix == ".json" else "kdl",
                version=1,
                text=path.read_text() if text is None else text,
            )
        )
    )


def replace_all(client: LanguageClient, path: pathlib.Path, version: int, text: str):
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def edit(client: LanguageClient, path: pathlib.Path, version: int, rng: types.Range, text: str):
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=version),
            content_changes=[types.TextDocumentContentChangePartial(range=rng, text=text)],
        )
    )


async def settled(client: LanguageClient, project: pathlib.Path):
    """Wait until the server has handled everything sent so far: it handles
    messages in order, so the diagnostics it published come before this answer."""
    await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc(project / "envc.kdl"))
    )


def diagnostics(client: LanguageClient, path: pathlib.Path):
    return [
        ((d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character), d.code, d.message)
        for d in client.diagnostics.get(path.as_uri(), [])
    ]


def pos(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


def rng(l1: int, c1: int, l2: int, c2: int) -> types.Range:
    return types.Range(start=pos(l1, c1), end=pos(l2, c2))


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines()) if needle in line)
