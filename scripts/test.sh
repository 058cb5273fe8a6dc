#!/usr/bin/env bash
# The whole test suite, the one command CI runs: install, lint, type-check, check the layer
# contracts, then pytest. Stops at the first failing step. Extra arguments go to pytest,
# e.g. `bash scripts/test.sh -k token -x`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

step "install (scripts/install.sh)"
bash scripts/install.sh

step "ruff check"
.venv/bin/ruff check src tests bench

step "mypy (strict)"
.venv/bin/mypy
.venv/bin/mypy bench
.venv/bin/mypy tests

step "import-linter (layer contracts)"
.venv/bin/lint-imports

step "pytest"
rc=0
.venv/bin/pytest -q -p no:cacheprovider "$@" || rc=$?
if ((rc == 5)); then
    echo "test.sh: pytest collected no tests; that is a failure" >&2
    exit 1
fi
exit "$rc"
