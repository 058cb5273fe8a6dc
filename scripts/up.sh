#!/usr/bin/env bash
# Bring a whole nuage cloud up on this machine, in the foreground (Ctrl-C stops it).
# Extra arguments go to `nuage up`, e.g. `bash scripts/up.sh --port 8801`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install.sh
exec .venv/bin/nuage up "$@"
