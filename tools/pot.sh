#!/usr/bin/env bash
# Translation templates: <addon>/i18n/<addon>.pot, exported by Odoo itself
# (`odoo -d DB --i18n-export=FILE.tgz --modules=a,b,c`, one .pot per addon).
#
#   tools/pot.sh [ADDON...]           regenerate the .pot files   (make pot)
#   tools/pot.sh --check [ADDON...]   export into a temp dir and compare with the
#                                     committed files; exit 1 and print a diff
#                                     when one differs or is missing (make pot-check)
#
# The header lines POT-Creation-Date / PO-Revision-Date (export time) and
# Project-Id-Version (Odoo's build date, e.g. "Odoo Server 18.0-20250702") are
# ignored when comparing, and a regenerated file whose only change would be
# those lines is left as it is. ADDONS (comma list, default: DEFAULT_ADDONS of tools/common.sh) or arguments
# choose the addons.
#
# Database: by default a throwaway PostgreSQL cluster (tools/pg_cluster.sh), a
# fresh database with the addons installed WITH demo data (like the test
# database that `make test` checks: the names of demo records, e.g. the demo
# loyalty tiers, are translatable terms too), removed at exit.
# POT_DB=name exports from that existing database instead (addons installed;
# server from PGHOST/PGPORT/PGUSER): tools/test.sh uses its test database.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tools/common.sh
source "$HERE/common.sh"
# shellcheck source=tools/pg_cluster.sh
source "$HERE/pg_cluster.sh"
cd "$REPO_ROOT" || exit 1

CHECK=0
if [[ "${1:-}" == "--check" ]]; then
    CHECK=1
    shift
fi
if [[ $# -gt 0 ]]; then
    ADDONS="$(IFS=,; echo "$*")"
fi
IFS=',' read -r -a POT_ADDONS <<<"$ADDONS"
for a in "${POT_ADDONS[@]}"; do
    [[ -f "$ADDONS_DIR/$a/__manifest__.py" ]] || die "no addon $a in $ADDONS_DIR"
done

POT_TMP="$(mktemp -d "${TMPDIR:-/tmp}/odoo-pot.XXXXXX")"
chmod 755 "$POT_TMP"
OWN_CLUSTER=0
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [[ $OWN_CLUSTER -eq 1 ]] && pg_cluster_stop
    rm -rf "$POT_TMP"
    return "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bash "$HERE/check_odoo.sh" >/dev/null || exit 1
odoo_cmd
ensure_oca_addons
ADDONS_PATH="$(odoo_addons_path)" || exit 1

if [[ -n "${POT_DB:-}" ]]; then
    [[ -n "${PGHOST:-}" && -n "${PGPORT:-}" ]] || die "POT_DB needs PGHOST and PGPORT"
    DB="$POT_DB"
else
    log "Starting throwaway PostgreSQL cluster"
    OWN_CLUSTER=1
    pg_cluster_start || die "could not start PostgreSQL"
    DB="pot_$(date +%s)"
    "$PG_BINDIR/createdb" -h "$PGHOST" -p "$PGPORT" -U "${PGUSER:-odoo}" -T template0 -E UTF8 "$DB" \
        || die "createdb $DB failed"
fi

# Own rc file: never read the developer's ~/.odoorc.
cat >"$POT_TMP/odoorc" <<EOF
[options]
addons_path = $ADDONS_PATH
db_host = $PGHOST
db_port = $PGPORT
db_user = ${PGUSER:-odoo}
data_dir = $POT_TMP/data
EOF
export ODOO_RC="$POT_TMP/odoorc"

if [[ $OWN_CLUSTER -eq 1 ]]; then
    log "Installing $ADDONS with demo data into $DB"
    "${ODOO_CMD[@]}" -d "$DB" -i "$ADDONS" --stop-after-init \
        --no-http --max-cron-threads=0 --log-level=warn >"$POT_TMP/install.log" 2>&1 </dev/null \
        || { tail -n 50 "$POT_TMP/install.log" >&2; die "install of $ADDONS failed"; }
fi

log "Exporting the translation templates of $ADDONS from $DB"
"${ODOO_CMD[@]}" -d "$DB" --i18n-export="$POT_TMP/export.tgz" --modules="$ADDONS" \
    --log-level=warn >"$POT_TMP/export.log" 2>&1 </dev/null \
    || { tail -n 50 "$POT_TMP/export.log" >&2; die "Odoo's --i18n-export failed"; }
mkdir -p "$POT_TMP/out"
tar -xzf "$POT_TMP/export.tgz" -C "$POT_TMP/out" || die "cannot read Odoo's export archive"

# The .pot without the header lines that change with the export time or the
# Odoo build.
strip_dates() {
    grep -vE '^"(POT-Creation-Date|PO-Revision-Date|Project-Id-Version): ' "$1"
}

status=0
for a in "${POT_ADDONS[@]}"; do
    new="$POT_TMP/out/$a/i18n/$a.pot"
    cur="$ADDONS_DIR/$a/i18n/$a.pot"
    if [[ ! -f "$new" ]]; then
        # Odoo writes no file for an addon without any translatable term
        if [[ -f "$cur" ]]; then
            echo "$a: Odoo exports no term any more, but $cur exists" >&2
            status=1
        else
            echo "$a: no translatable term"
        fi
        continue
    fi
    if [[ -f "$cur" ]] && cmp -s <(strip_dates "$cur") <(strip_dates "$new"); then
        echo "$a: $a/i18n/$a.pot is up to date"
        continue
    fi
    if [[ $CHECK -eq 1 ]]; then
        if [[ -f "$cur" ]]; then
            echo "$a: $a/i18n/$a.pot is out of date (run \`make pot\`):" >&2
            diff -u --label "$a/i18n/$a.pot (committed)" --label "$a/i18n/$a.pot (exported)" \
                <(strip_dates "$cur") <(strip_dates "$new") | head -n 200 >&2
        else
            echo "$a: $a/i18n/$a.pot is missing (run \`make pot\`)" >&2
        fi
        status=1
    else
        mkdir -p "$(dirname "$cur")"
        cp "$new" "$cur"
        echo "$a: wrote $a/i18n/$a.pot"
    fi
done
if [[ $CHECK -eq 1 && $status -ne 0 ]]; then
    echo "POT CHECK FAILED" >&2
fi
exit "$status"
