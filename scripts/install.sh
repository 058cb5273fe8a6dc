#!/usr/bin/env bash
# Install what nuage needs, idempotently: Debian packages, a pinned uv, and the project
# virtualenv (.venv) built from uv.lock with every dependency group.
#
# Meant for a fresh Debian 12 machine as root, and cheap to re-run: each step checks first
# and does nothing when the machine is already in shape (a no-op run takes well under a
# second). Works from any current directory. Quiet unless something goes wrong.
set -euo pipefail

UV_VERSION=0.13.9
# qemu-system-x86 and qemu-utils run the guests. The default guest image needs no package
# installed here: its kernel, busybox-static and dropbear are fetched with `apt-get
# download` (busybox-static would conflict with an installed busybox). The network
# datapath: dnsmasq-base (DHCP/DNS without a system service) and nftables (security groups,
# NAT). The tests: openssh-client and iputils-ping (guest network tests), busybox (the
# datapath tests' stand-in guests: ping, udhcpc, nc).
APT_PACKAGES=(python3 python3-venv python3-dev gcc libffi-dev git ca-certificates curl
              rclone s3cmd qemu-system-x86 qemu-utils dnsmasq-base nftables
              openssh-client iputils-ping busybox)

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

log() { printf 'install.sh: %s\n' "$*" >&2; }

# 1. System packages. `apt-get update` only runs when something is actually missing, so a
#    re-run on a ready machine never touches the network.
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$pkg")
    fi
done
if ((${#missing[@]})); then
    SUDO=()
    if ((EUID != 0)); then
        if command -v sudo >/dev/null 2>&1; then
            SUDO=(sudo)
        else
            log "missing system packages (${missing[*]}) and not root: run me as root"
            exit 1
        fi
    fi
    log "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. A pinned uv in its own bootstrap venv (.uvtool), so nothing depends on a uv already
#    being on the PATH or on downloading a prebuilt binary from outside a package registry.
if [[ "$(.uvtool/bin/uv --version 2>/dev/null || true)" != "uv ${UV_VERSION}"* ]]; then
    log "installing uv ${UV_VERSION} into .uvtool"
    if [[ ! -x .uvtool/bin/python ]]; then
        /usr/bin/python3 -m venv .uvtool
    fi
    .uvtool/bin/python -m pip install -q --disable-pip-version-check "uv==${UV_VERSION}"
fi

# 3. The project venv, exactly as locked. --frozen: never re-resolve, fail if the lock is
#    unusable. Python is Debian's own; uv must never fetch a Python build of its own.
unset VIRTUAL_ENV
export UV_PROJECT_ENVIRONMENT="${ROOT}/.venv"
export UV_PYTHON_DOWNLOADS=never
.uvtool/bin/uv sync --quiet --frozen --all-groups --python /usr/bin/python3
