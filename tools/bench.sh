#!/usr/bin/env bash
# Benchmark: throwaway PostgreSQL cluster, then
#   python3 tests/bench/run.py --partners N --invoices M [--cases C] --db-host H --db-port P
# (PARTNERS, INVOICES, CASES from the environment; see tests/bench/run.py).
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

bash "$HERE/check_odoo.sh" || exit 1
pg_cluster_start || die "could not start PostgreSQL"
ODOO_ADDONS_PATH_FULL="$(odoo_addons_path)" || exit 1
export ODOO_ADDONS_PATH_FULL
cases=()
[[ -n "$CASES" ]] && cases=(--cases "$CASES")
"$PYTHON" "$BENCH" --partners "$PARTNERS" --invoices "$INVOICES" "${cases[@]}" \
    --db-host "$PGHOST" --db-port "$PGPORT" "$@"
