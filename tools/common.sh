# shellcheck shell=bash
# Shared helpers for the harness scripts.  Source it, do not execute it.
#
# Environment knobs (all optional):
#   ODOO_BIN          server command (default: "python3 -m odoo", i.e. whatever
#                     `odoo` package python3 imports)
#   ODOO_CORE_ADDONS  Odoo's own addons dir (default: <dir of odoo.__file__>/addons)
#   ODOO_ADDONS_PATH  extra addons dirs (comma separated) appended to the path
#   ADDONS            comma separated addons to install/test
#                     (default: crm_lifecycle,crm_collections,crm_support_ext,crm_lifecycle_sale_loyalty,crm_support_collections,crm_support_sale,crm_collections_sale)
#   ADDONS_DIR        directory holding those addons (default: repo root)
#   OCA_ADDONS_DIR    where ensure_oca_addons installs the pinned OCA wheels of
#                     requirements-oca.txt (default: <repo>/.cache/oca-addons);
#                     its odoo/addons is appended to the addons path

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO_ROOT
DEFAULT_ADDONS="crm_lifecycle,crm_collections,crm_support_ext,crm_lifecycle_sale_loyalty,crm_support_collections,crm_support_sale,crm_collections_sale"
ADDONS="${ADDONS:-$DEFAULT_ADDONS}"
ADDONS_DIR="${ADDONS_DIR:-$REPO_ROOT}"
PYTHON="${PYTHON:-python3}"

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Print a free TCP port on 127.0.0.1.
free_port() {
    "$PYTHON" - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

# Odoo server command as a bash array: ODOO_CMD=(...)
odoo_cmd() {
    if [[ -n "${ODOO_BIN:-}" ]]; then
        # shellcheck disable=SC2206
        ODOO_CMD=($ODOO_BIN)
    else
        ODOO_CMD=("$PYTHON" -m odoo)
    fi
}

# Full --addons-path value: odoo core addons, the repo (or ADDONS_DIR), extras.
odoo_addons_path() {
    local core="${ODOO_CORE_ADDONS:-}"
    if [[ -z "$core" ]]; then
        core="$("$PYTHON" -c 'import os, odoo; print(os.path.join(os.path.dirname(odoo.__file__), "addons"))')" \
            || die "cannot locate Odoo's addons directory (is odoo importable?)"
    fi
    local path="$core,$ADDONS_DIR"
    if [[ -d "$OCA_ADDONS_DIR/odoo/addons" ]]; then
        path="$path,$OCA_ADDONS_DIR/odoo/addons"
    fi
    if [[ -n "${ODOO_ADDONS_PATH:-}" ]]; then
        path="$path,$ODOO_ADDONS_PATH"
    fi
    printf '%s\n' "$path"
}

# The OCA addons crm_support_ext builds on (helpdesk_mgmt and siblings, AGPL-3)
# are pinned in requirements-oca.txt and installed from their PyPI wheels with
# --no-deps into OCA_ADDONS_DIR (their `odoo` requirement cannot be met from
# PyPI); the addons then sit in $OCA_ADDONS_DIR/odoo/addons, which
# odoo_addons_path appends.  A stamp file (a copy of requirements-oca.txt)
# skips the install when the pins did not change.
OCA_ADDONS_DIR="${OCA_ADDONS_DIR:-$REPO_ROOT/.cache/oca-addons}"
ensure_oca_addons() {
    local req="$REPO_ROOT/requirements-oca.txt"
    local stamp="$OCA_ADDONS_DIR/.requirements-oca.installed"
    [[ -f "$req" ]] || return 0
    if [[ -f "$stamp" && -d "$OCA_ADDONS_DIR/odoo/addons" ]] && cmp -s "$stamp" "$req"; then
        return 0
    fi
    log "pip install --no-deps --target $OCA_ADDONS_DIR -r requirements-oca.txt"
    rm -rf "$OCA_ADDONS_DIR"
    mkdir -p "$OCA_ADDONS_DIR"
    "$PYTHON" -m pip install -q --disable-pip-version-check --root-user-action=ignore \
        --no-deps --target "$OCA_ADDONS_DIR" -r "$req" \
        || die "pip install of the OCA addons (requirements-oca.txt) failed"
    cp "$req" "$stamp"
}

# apt-get install the given packages, running `apt-get update` first (once).
_APT_UPDATED=0
apt_install() {
    command -v apt-get >/dev/null 2>&1 || die "apt-get not available; install manually: $*"
    local sudo=()
    [[ $EUID -ne 0 ]] && sudo=(sudo)
    if [[ $_APT_UPDATED -eq 0 ]]; then
        log "apt-get update"
        "${sudo[@]}" apt-get update -qq
        _APT_UPDATED=1
    fi
    log "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@"
}

# Locate Chromium; install it with apt when missing.
ensure_chromium() {
    local c
    for c in chromium chromium-browser google-chrome google-chrome-stable; do
        if command -v "$c" >/dev/null 2>&1; then return 0; fi
    done
    apt_install chromium
}

# Ensure the local node toolchain (prettier + plugin-xml) pinned by package.json.
NODE_PREFIX="${NODE_PREFIX:-$REPO_ROOT/.cache/node}"
PRETTIER="$NODE_PREFIX/node_modules/.bin/prettier"
ensure_prettier() {
    if ! command -v npm >/dev/null 2>&1; then
        apt_install nodejs npm
    fi
    local stamp="$NODE_PREFIX/.package.json.installed"
    if [[ -x "$PRETTIER" && -f "$stamp" ]] && cmp -s "$stamp" "$REPO_ROOT/package.json"; then
        link_node_modules
        return 0
    fi
    log "npm install (prettier, @prettier/plugin-xml) into $NODE_PREFIX"
    mkdir -p "$NODE_PREFIX"
    cp "$REPO_ROOT/package.json" "$NODE_PREFIX/package.json"
    [[ -f "$REPO_ROOT/package-lock.json" ]] && cp "$REPO_ROOT/package-lock.json" "$NODE_PREFIX/"
    (cd "$NODE_PREFIX" && npm install --no-audit --no-fund --loglevel=error) \
        || die "npm install failed"
    cp "$REPO_ROOT/package.json" "$stamp"
    link_node_modules
}

# prettier resolves the plugins listed in .prettierrc.yml from the repo root:
# expose the local install there as a (gitignored) node_modules symlink.
link_node_modules() {
    if [[ -L "$REPO_ROOT/node_modules" || ! -e "$REPO_ROOT/node_modules" ]]; then
        ln -sfn "$NODE_PREFIX/node_modules" "$REPO_ROOT/node_modules"
    fi
}

# Addons (from $ADDONS) as a bash array of existing directories.
addon_dirs() {
    ADDON_DIRS=()
    local a
    IFS=',' read -r -a _addons <<<"$ADDONS"
    for a in "${_addons[@]}"; do
        [[ -d "$ADDONS_DIR/$a" ]] && ADDON_DIRS+=("$ADDONS_DIR/$a")
    done
}
