#!/usr/bin/env bash
# Demo: throwaway PostgreSQL cluster (kept while serving, stopped on Ctrl-C /
# exit), database `lifecycle_demo` with demo data and the addons installed,
# the lifecycle scoring job run once, then Odoo served on
# http://127.0.0.1:${DEMO_HTTP_PORT:-8069}.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tools/common.sh
source "$HERE/common.sh"
# shellcheck source=tools/pg_cluster.sh
source "$HERE/pg_cluster.sh"
cd "$REPO_ROOT" || exit 1

DB="${DEMO_DB:-lifecycle_demo}"
HTTP_PORT="${DEMO_HTTP_PORT:-8069}"
RUN_TMP="$(mktemp -d "${TMPDIR:-/tmp}/odoo-demo.XXXXXX")"
chmod 755 "$RUN_TMP"
cleanup() {
    trap - EXIT INT TERM
    pg_cluster_stop
    rm -rf "$RUN_TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bash "$HERE/check_odoo.sh" || exit 1
"${PYTHON:-python3}" -m pip install -q --disable-pip-version-check --root-user-action=ignore \
    -r "$HERE/../requirements.txt" || { echo "pip install -r requirements.txt failed" >&2; exit 1; }
pg_cluster_start || die "could not start PostgreSQL"
"$PG_BINDIR/createdb" -h "$PGHOST" -p "$PGPORT" -U odoo -T template0 -E UTF8 "$DB" \
    || die "createdb $DB failed"
odoo_cmd
ensure_oca_addons
ADDONS_PATH="$(odoo_addons_path)" || exit 1
: >"$RUN_TMP/odoorc"
export ODOO_RC="$RUN_TMP/odoorc"
COMMON=(-d "$DB" --db_host "$PGHOST" --db_port "$PGPORT" --db_user odoo
    --addons-path "$ADDONS_PATH" --data-dir "$RUN_TMP/data")

log "Installing $ADDONS (with demo data) into $DB"
"${ODOO_CMD[@]}" "${COMMON[@]}" -i "$ADDONS" --without-demo= --stop-after-init \
    --no-http --log-level=warn || die "install failed"

log "Running the lifecycle scoring job once"
"${ODOO_CMD[@]}" shell "${COMMON[@]}" --no-http --log-level=warn <<'PY' || die "scoring job failed"
runs = env['crm.lifecycle.run']._cron_lifecycle_scoring()
env.cr.commit()
print("lifecycle scoring done:", "; ".join(
    f"{run.company_id.name}: {run.partner_total} customers, "
    f"{run.changed_count} changed" for run in runs))
PY

echo
echo "Odoo demo on http://127.0.0.1:$HTTP_PORT  (database $DB)"
echo "Login: admin / admin"
echo "Press Ctrl-C to stop (the throwaway database is deleted)."
"${ODOO_CMD[@]}" "${COMMON[@]}" --http-interface 127.0.0.1 --http-port "$HTTP_PORT" \
    --log-level=info --db-filter="^${DB}\$"
