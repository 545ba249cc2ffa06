#!/usr/bin/env bash
# Benchmark: throwaway PostgreSQL cluster, then
#   python3 tests/bench/run.py --partners N --invoices M [--cases C] --db-host H --db-port P
# (PARTNERS, INVOICES, CASES from the environment; CUSTOMERS for the value
# family, see tests/bench/run.py and tests/bench/case_value.py).
# Extra arguments are passed through to the runner, e.g. --generate-only.
# The cluster (and its database) is removed when the script ends.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tools/common.sh
source "$HERE/common.sh"
# shellcheck source=tools/pg_cluster.sh
source "$HERE/pg_cluster.sh"
cd "$REPO_ROOT" || exit 1

PARTNERS="${PARTNERS:-10000}"
INVOICES="${INVOICES:-100000}"
CASES="${CASES:-}"
BENCH="${BENCH_SCRIPT:-tests/bench/run.py}"
[[ -f "$BENCH" ]] || die "$BENCH not found"

cleanup() {
    trap - EXIT INT TERM
    pg_cluster_stop
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The value family compares the addon's fit with lifetimes 0.11.3, a
# benchmark-only package: installed once, with its pure-Python dependencies,
# into .cache/bench-lifetimes (--no-deps: numpy and scipy stay the runtime
# ones; lifetimes 0.11.3 runs with numpy 2 under pandas 2.3 and autograd 1.8).
# A failed install only turns the value line into lifetimes_s=n/a.
BENCH_LIFETIMES_DIR="${BENCH_LIFETIMES_DIR:-$REPO_ROOT/.cache/bench-lifetimes}"
export BENCH_LIFETIMES_DIR
LIFETIMES_PKGS=(lifetimes==0.11.3 pandas==2.3.3 autograd==1.8.0 dill==0.4.1 tzdata==2026.6)
ensure_bench_lifetimes() {
    local stamp="$BENCH_LIFETIMES_DIR/.installed"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "${LIFETIMES_PKGS[*]}" ]]; then
        return 0
    fi
    log "pip install ${LIFETIMES_PKGS[*]} into $BENCH_LIFETIMES_DIR (value bench only)"
    rm -rf "$BENCH_LIFETIMES_DIR"
    "$PYTHON" -m pip install -q --disable-pip-version-check --no-deps \
        --target "$BENCH_LIFETIMES_DIR" "${LIFETIMES_PKGS[@]}" || return 1
    printf '%s' "${LIFETIMES_PKGS[*]}" >"$stamp"
}
if [[ -z "$CASES" || ",$CASES," == *",value,"* || ",$CASES," == *",value:"* ]]; then
    ensure_bench_lifetimes \
        || echo "WARNING: lifetimes not installed: the value line says lifetimes_s=n/a" >&2
fi

# The dunning family compares with the peer OCA account_credit_control 18.0,
# installed once with --no-deps into .cache/bench-peer and put on the
# benchmark's addons path only (never a dependency of the project). A failed
# install only turns the dunning line into peer_s=n/a.
BENCH_PEER_DIR="${BENCH_PEER_DIR:-$REPO_ROOT/.cache/bench-peer}"
export BENCH_PEER_DIR
PEER_PKGS=("odoo-addon-account_credit_control==18.0.*")
ensure_bench_peer() {
    local stamp="$BENCH_PEER_DIR/.installed"
    if [[ ! -f "$stamp" || "$(cat "$stamp")" != "${PEER_PKGS[*]}" ]]; then
        log "pip install ${PEER_PKGS[*]} into $BENCH_PEER_DIR (dunning bench only)"
        rm -rf "$BENCH_PEER_DIR"
        "$PYTHON" -m pip install -q --disable-pip-version-check --no-deps \
            --target "$BENCH_PEER_DIR" "${PEER_PKGS[@]}" || return 1
        printf '%s' "${PEER_PKGS[*]}" >"$stamp"
    fi
    ODOO_ADDONS_PATH="${ODOO_ADDONS_PATH:+$ODOO_ADDONS_PATH,}$BENCH_PEER_DIR/odoo/addons"
    export ODOO_ADDONS_PATH
}
if [[ -z "$CASES" || ",$CASES," == *",dunning,"* || ",$CASES," == *",dunning:"* ]]; then
    ensure_bench_peer \
        || echo "WARNING: account_credit_control not installed: the dunning line says peer_s=n/a" >&2
fi

bash "$HERE/check_odoo.sh" || exit 1
"${PYTHON:-python3}" -m pip install -q --disable-pip-version-check --root-user-action=ignore \
    -r "$HERE/../requirements.txt" || { echo "pip install -r requirements.txt failed" >&2; exit 1; }
pg_cluster_start || die "could not start PostgreSQL"
ODOO_ADDONS_PATH_FULL="$(odoo_addons_path)" || exit 1
export ODOO_ADDONS_PATH_FULL
cases=()
[[ -n "$CASES" ]] && cases=(--cases "$CASES")
"$PYTHON" "$BENCH" --partners "$PARTNERS" --invoices "$INVOICES" "${cases[@]}" \
    --db-host "$PGHOST" --db-port "$PGPORT" "$@"
