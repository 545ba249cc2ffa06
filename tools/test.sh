#!/usr/bin/env bash
# Full test run (what `make test` / CI runs):
#   check Odoo -> install tools -> pure-Python unit tests (pytest) ->
#   Odoo install + tests of the addons in a throwaway PostgreSQL cluster ->
#   lint -> one final line "N passed, M failed".
#
# Knobs: ADDONS (comma list), ADDONS_DIR, ODOO_BIN, ODOO_CORE_ADDONS,
#        ODOO_ADDONS_PATH (extra dirs), SKIP_LINT=1, SKIP_ODOO=1,
#        ODOO_TEST_TIMEOUT (seconds, default 3600), KEEP_LOGS=<dir>.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tools/common.sh
source "$HERE/common.sh"
# shellcheck source=tools/pg_cluster.sh
source "$HERE/pg_cluster.sh"
cd "$REPO_ROOT" || exit 1

RUN_TMP="$(mktemp -d "${TMPDIR:-/tmp}/odoo-test.XXXXXX")"
chmod 755 "$RUN_TMP"
ODOO_PID=
PASSED=0
FAILED=0
SUMMARY=()
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n "${ODOO_PID:-}" ]] && kill -0 "$ODOO_PID" 2>/dev/null; then
        echo "stopping Odoo (pid $ODOO_PID)" >&2
        kill "$ODOO_PID" 2>/dev/null || true
        for _ in $(seq 1 20); do kill -0 "$ODOO_PID" 2>/dev/null || break; sleep 0.5; done
        kill -KILL "$ODOO_PID" 2>/dev/null || true
    fi
    pg_cluster_stop
    if [[ -n "${KEEP_LOGS:-}" && -d "$RUN_TMP" ]]; then
        mkdir -p "$KEEP_LOGS" && cp -f "$RUN_TMP"/*.log "$RUN_TMP"/*.xml "$KEEP_LOGS"/ 2>/dev/null || true
    fi
    rm -rf "$RUN_TMP"
    if [[ $rc -ne 0 && -z "${FINAL_PRINTED:-}" ]]; then
        # aborted early: still end with the counts line
        printf '%s\n' "${SUMMARY[@]}" "aborted (exit $rc)"
        echo "$PASSED passed, $((FAILED + 1)) failed"
    fi
    return "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# (a) Odoo must be importable; never skip.
log "Checking Odoo"
bash "$HERE/check_odoo.sh" || exit 1

# (b) Python tooling
log "pip install -r requirements-test.txt"
"$PYTHON" -m pip install -q --disable-pip-version-check --root-user-action=ignore -r requirements-test.txt \
    || die "pip install -r requirements-test.txt failed"

# (c) Node tooling (prettier + plugin-xml) into .cache/node
if [[ "${SKIP_LINT:-0}" != 1 ]]; then
    ensure_prettier
fi

# (d) system packages
pg_ensure_installed || die "PostgreSQL is not available"
if [[ "${SKIP_ODOO:-0}" != 1 ]]; then
    ensure_chromium || die "Chromium is not available"
fi

# (f) pure-Python unit tests: <addon>/lib/tests (plain pytest, no Odoo).
# --rootdir keeps pytest from importing the addon package (<addon>/__init__.py
# imports Odoo models, which only works under odoo.addons.*).
addon_dirs
for d in "${ADDON_DIRS[@]}"; do
    tdir="$d/lib/tests"
    [[ -d "$tdir" ]] || continue
    name="$(basename "$d")"
    log "pytest $name/lib/tests"
    junit="$RUN_TMP/pytest-$name.xml"
    "$PYTHON" -m pytest -q -p no:cacheprovider --rootdir="$tdir" \
        --junitxml="$junit" "$tdir"
    prc=$?
    read -r p f < <("$PYTHON" - "$junit" <<'PY'
import sys
import xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print(0, 1)
    sys.exit()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
t = f = e = s = 0
for st in suites:
    t += int(st.get("tests", 0))
    f += int(st.get("failures", 0))
    e += int(st.get("errors", 0))
    s += int(st.get("skipped", 0))
print(t - f - e - s, f + e)
PY
)
    # exit 5 = no tests collected: not a failure, nothing counted
    if [[ $prc -ne 0 && $prc -ne 5 && $f -eq 0 ]]; then f=1; fi
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + f))
    SUMMARY+=("pytest $name: $p passed, $f failed (exit $prc)")
done

# (e)+(g) Odoo: fresh database in a throwaway cluster, install + run tests.
if [[ "${SKIP_ODOO:-0}" != 1 ]]; then
    log "Starting throwaway PostgreSQL cluster"
    if ! pg_cluster_start; then
        die "could not start PostgreSQL"
    fi
    DB="test_crm_$(date +%s)"
    "$PG_BINDIR/createdb" -h "$PGHOST" -p "$PGPORT" -U odoo -T template0 -E UTF8 "$DB" \
        || die "createdb $DB failed"
    odoo_cmd
    ADDONS_PATH="$(odoo_addons_path)" || exit 1
    HTTP_PORT="$(free_port)"
    TAGS="$(sed -E 's#(^|,)#\1/#g' <<<"$ADDONS")"
    LOG="$RUN_TMP/odoo-test.log"
    : >"$RUN_TMP/odoorc"
    log "Odoo: install $ADDONS and run tests (tags $TAGS) on db $DB"
    set -x
    # in the background + wait, so that INT/TERM traps run at once; killing
    # `timeout` forwards the signal to Odoo.  tail --pid mirrors the log.
    ODOO_RC="$RUN_TMP/odoorc" timeout --kill-after=60 "${ODOO_TEST_TIMEOUT:-3600}" \
        "${ODOO_CMD[@]}" -d "$DB" \
        --db_host "$PGHOST" --db_port "$PGPORT" --db_user odoo \
        --addons-path "$ADDONS_PATH" --data-dir "$RUN_TMP/data" \
        -i "$ADDONS" --test-enable --test-tags "$TAGS" \
        --stop-after-init --max-cron-threads=0 \
        --http-interface 127.0.0.1 --http-port "$HTTP_PORT" \
        --log-level=info --without-demo= >"$LOG" 2>&1 </dev/null &
    ODOO_PID=$!
    { set +x; } 2>/dev/null
    tail -n +1 -f --pid="$ODOO_PID" "$LOG" &
    TAIL_PID=$!
    wait "$ODOO_PID"
    orc=$?
    ODOO_PID=
    wait "$TAIL_PID" 2>/dev/null

    # Odoo 18 (odoo/service/server.py + odoo/tests/result.py) ends with:
    #   odoo.tests.result: X failed, Y error(s) of Z tests when loading database 'db'
    res_line="$(grep -E '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests when loading database' "$LOG" | tail -n1)"
    res_line="${res_line%"${res_line##*[![:space:]]}"}"
    o_pass=0
    o_fail=0
    if [[ "$res_line" =~ ([0-9]+)\ failed,\ ([0-9]+)\ error\(s\)\ of\ ([0-9]+)\ tests ]]; then
        o_fail=$((BASH_REMATCH[1] + BASH_REMATCH[2]))
        o_pass=$((BASH_REMATCH[3] - o_fail))
    else
        echo "!! Odoo test result line not found in the log (install crashed?)" >&2
    fi
    err_lines="$(grep -cE '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) |FAIL: ' "$LOG")"
    if [[ "$err_lines" -gt 0 ]]; then
        echo "!! $err_lines ERROR/CRITICAL/FAIL line(s) in the Odoo log:" >&2
        grep -nE '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) |FAIL: ' "$LOG" | head -n 50 >&2
    fi
    # a crash, a non-zero exit or error lines with no counted failure still fail
    if [[ $o_fail -eq 0 && ($orc -ne 0 || $err_lines -gt 0 || -z "$res_line") ]]; then
        o_fail=1
    fi
    PASSED=$((PASSED + o_pass))
    FAILED=$((FAILED + o_fail))
    SUMMARY+=("odoo tests: $o_pass passed, $o_fail failed (exit $orc${res_line:+"; ${res_line##*odoo.tests.result: }"})")
    pg_cluster_stop
fi

# (h) lint
if [[ "${SKIP_LINT:-0}" != 1 ]]; then
    log "Lint"
    if LINT_INSTALL=0 bash "$HERE/lint.sh"; then
        SUMMARY+=("lint: OK")
    else
        FAILED=$((FAILED + 1))
        SUMMARY+=("lint: FAILED (counted as 1 failure)")
    fi
fi

FINAL_PRINTED=1
cleanup 2>/dev/null
echo
echo "==== summary ===="
printf '%s\n' "${SUMMARY[@]}"
echo "$PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 && $PASSED -gt 0 ]]
