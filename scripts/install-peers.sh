#!/usr/bin/env bash
# The real peers the test suite talks to, installed when missing (called by `make test`).
#
# Each program is looked up on PATH; whatever is missing is installed with apt-get, directly when
# we are root, through `sudo -n` when sudo works without a password. Otherwise the script stops at
# once with one message naming what is missing and the command that installs it, so `make test`
# never runs into hundreds of failures for want of a peer.
set -euo pipefail

PYTHON="${PYTHON:-python3}"

# program -> Debian package
programs=(openssl gnutls-cli gnutls-serv redis-server curl tshark)
declare -A package=(
    [openssl]=openssl
    [gnutls-cli]=gnutls-bin
    [gnutls-serv]=gnutls-bin
    [redis-server]=redis-server
    [curl]=curl
    [tshark]=tshark
)

missing=()
packages=()
add_package() {
    local p
    for p in "${packages[@]}"; do [ "$p" = "$1" ] && return 0; done
    packages+=("$1")
}
for prog in "${programs[@]}"; do
    if ! command -v "$prog" >/dev/null 2>&1; then
        missing+=("$prog")
        add_package "${package[$prog]}"
    fi
done
# `python3 -m venv` needs ensurepip, which Debian ships apart (python3-venv).
if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    missing+=("$PYTHON -m venv")
    add_package python3-venv
fi

[ ${#missing[@]} -eq 0 ] && exit 0

install_cmd="apt-get update && apt-get install -y --no-install-recommends ${packages[*]}"
if [ "$(id -u)" -eq 0 ]; then
    run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
    run=(sudo -n)
else
    echo "make test: missing ${missing[*]}. Install them (Debian/Ubuntu) with:" >&2
    echo "    sudo sh -c '$install_cmd'" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "make test: missing ${missing[*]}, and this machine has no apt-get;" \
        "install the equivalents of the Debian packages ${packages[*]}" >&2
    exit 1
fi

echo "make test: installing ${packages[*]} (for ${missing[*]})" >&2
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${run[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
for prog in "${programs[@]}"; do
    command -v "$prog" >/dev/null 2>&1 || {
        echo "make test: $prog is still missing after installing ${packages[*]}" >&2
        exit 1
    }
done
