#!/usr/bin/env bash
# Installs everything Switchboard needs, and does nothing when it is all in place.
#
#   scripts/setup.sh            Debian packages for running the product, then the venv
#   scripts/setup.sh --test     also the packages the test suite needs (Chromium, speech test data,
#                               and the scaled topology's servers)
#   scripts/setup.sh --scaled   also the scaled topology's servers (`make run-scaled`)
#
# The venv is built once per lock-file hash under $SWITCHBOARD_CACHE (default ~/.cache/switchboard)
# and .venv in the checkout is a symlink to it, so a second clone or CI reuses it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${SWITCHBOARD_CACHE:-$HOME/.cache/switchboard}"
PYTHON="${PYTHON:-python3}"

RUN_DEBS=(espeak-ng libespeak-ng1)
SCALED_DEBS=(postgresql redis-server nginx)
TEST_DEBS=(chromium pocketsphinx-testdata sox "${SCALED_DEBS[@]}")

log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

wanted_debs=("${RUN_DEBS[@]}")
case "${1:-}" in
    --test) wanted_debs+=("${TEST_DEBS[@]}") ;;
    --scaled) wanted_debs+=("${SCALED_DEBS[@]}") ;;
    "") ;;
    *) die "unknown option ${1} (use --test or --scaled)" ;;
esac

install_debs() {
    local missing=()
    if ! command -v dpkg-query >/dev/null 2>&1; then
        for exe in espeak-ng; do
            command -v "$exe" >/dev/null 2>&1 || missing+=("$exe")
        done
        if ((${#missing[@]})); then
            die "this is not a Debian system. Install with your package manager: ${wanted_debs[*]} (espeak-ng is the speech engine), then re-run."
        fi
        return 0
    fi
    for pkg in "${wanted_debs[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    ((${#missing[@]})) || return 0
    local sudo=""
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || die "missing Debian packages: ${missing[*]}. Run as root: apt-get install -y ${missing[*]}"
        sudo="sudo"
    fi
    log "installing Debian packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

lock_hash() {
    cat "$ROOT/requirements-rasa.lock" "$ROOT/requirements.lock" <("$PYTHON" -c 'import sys; print(sys.version)') \
        | sha256sum | cut -c1-16
}

# pip warns about every package missing from this machine's extra local indexes; hide that noise.
pip_install() {
    local venv="$1"; shift
    "$venv/bin/python" -m pip install -q --no-deps --disable-pip-version-check "$@" \
        2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

install_venv() {
    "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
        || die "Python 3.11 is required (found $("$PYTHON" --version 2>&1)); set PYTHON=/path/to/python3.11"
    local venv="$CACHE/venvs/$(lock_hash)"
    mkdir -p "$CACHE/venvs"
    if [[ ! -f "$venv/.complete" ]]; then
        exec 9>"$venv.lock"
        flock 9
        if [[ ! -f "$venv/.complete" ]]; then
            log "building the venv for this lock file in $venv (first time only, several minutes)"
            rm -rf "$venv"
            "$PYTHON" -m venv "$venv"
            pip_install "$venv" --ignore-requires-python -r "$ROOT/requirements-rasa.lock"
            pip_install "$venv" -r "$ROOT/requirements.lock"
            touch "$venv/.complete"
            prune_old_venvs "$venv"
        fi
        exec 9>&-
    fi
    if [[ "$(readlink "$ROOT/.venv" 2>/dev/null)" != "$venv" ]]; then
        rm -rf "$ROOT/.venv"
        ln -s "$venv" "$ROOT/.venv"
    fi
}

# Keep the three most recently built venvs: older lock files are unlikely to come back.
prune_old_venvs() {
    local keep="$1"
    ls -1dt "$CACHE"/venvs/*/ 2>/dev/null | tail -n +4 | while read -r old; do
        [[ "${old%/}" == "$keep" ]] && continue
        log "removing old venv ${old%/}"
        rm -rf "${old%/}" "${old%/}.lock"
    done
}

install_debs
install_venv
