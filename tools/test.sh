#!/usr/bin/env bash
# Full test run (what `make test` / CI runs):
#   check Odoo -> install tools -> pure-Python unit tests (pytest) ->
#   Odoo install + tests of the addons in a throwaway PostgreSQL cluster
#   (Odoo's own runner: at_install, post_install, tours), its log checked with
#   checklog-odoo (checklog-odoo.cfg) -> on that same database: the tests/ of
#   PYTEST_ODOO_ADDONS again under pytest-odoo, and the .pot check
#   (tools/pot.sh --check) -> lint -> one final line "N passed, M failed".
#
# Knobs: ADDONS (comma list), ADDONS_DIR, ODOO_BIN, ODOO_CORE_ADDONS,
#        ODOO_ADDONS_PATH (extra dirs), SKIP_LINT=1, SKIP_ODOO=1,
#        PYTEST_ODOO_ADDONS (comma list, default crm_lifecycle; `none`: none),
#        TEST_ADDONS (tests/addons to install too, default crm_lifecycle_test_step;
#        `none`: none),
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
# "P F" of a pytest junit xml file, one per <testcase>: P passed (no failure,
# error nor skip), F failed or errored; "0 1" when it is missing or unreadable.
# Testcases, not the suite's "tests" attribute, which also counts passed
# subtests (pytest >= 9) and so would count a test with subTest() many times.
junit_counts() {
    "$PYTHON" - "$1" <<'PY'
import sys
import xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print(0, 1)
    sys.exit()
p = f = 0
for case in root.iter("testcase"):
    tags = {child.tag for child in case}
    if tags & {"failure", "error"}:
        f += 1
    elif "skipped" not in tags:
        p += 1
print(p, f)
PY
}

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
log "pip install -r requirements.txt -r requirements-test.txt"
"$PYTHON" -m pip install -q --disable-pip-version-check --root-user-action=ignore \
    -r requirements.txt -r requirements-test.txt \
    || die "pip install -r requirements.txt -r requirements-test.txt failed"

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
# imports Odoo models, which only works under odoo.addons.*); -p no:odoo keeps
# the pytest-odoo plugin out even when ODOO_RC is set in the environment.
addon_dirs
for d in "${ADDON_DIRS[@]}"; do
    tdir="$d/lib/tests"
    [[ -d "$tdir" ]] || continue
    name="$(basename "$d")"
    log "pytest $name/lib/tests"
    junit="$RUN_TMP/pytest-$name.xml"
    "$PYTHON" -m pytest -q -p no:cacheprovider -p no:odoo --rootdir="$tdir" \
        --junitxml="$junit" "$tdir"
    prc=$?
    read -r p f < <(junit_counts "$junit")
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
    ensure_oca_addons
    ADDONS_PATH="$(odoo_addons_path)" || exit 1
    # Test-only addons (tests/addons): installed and tested beside ADDONS, e.g.
    # crm_lifecycle_test_step adds a scoring step the documented way.
    TEST_ADDONS="${TEST_ADDONS:-crm_lifecycle_test_step}"
    [[ "$TEST_ADDONS" == none ]] && TEST_ADDONS=""
    INSTALL="$ADDONS"
    if [[ -n "$TEST_ADDONS" ]]; then
        ADDONS_PATH="$ADDONS_PATH,$REPO_ROOT/tests/addons"
        INSTALL="$ADDONS,$TEST_ADDONS"
    fi
    HTTP_PORT="$(free_port)"
    TAGS="$(sed -E 's#(^|,)#\1/#g' <<<"$INSTALL")"
    LOG="$RUN_TMP/odoo-test.log"
    # Odoo rc of this run: read by the Odoo run (ODOO_RC) and by pytest-odoo
    # (--odoo-config), which takes the addons path and the server from it.
    cat >"$RUN_TMP/odoorc" <<EOF
[options]
addons_path = $ADDONS_PATH
db_host = $PGHOST
db_port = $PGPORT
db_user = odoo
data_dir = $RUN_TMP/data
EOF
    log "Odoo: install $INSTALL and run tests (tags $TAGS) on db $DB"
    set -x
    # in the background + wait, so that INT/TERM traps run at once; killing
    # `timeout` forwards the signal to Odoo.  tail --pid mirrors the log.
    ODOO_RC="$RUN_TMP/odoorc" timeout --kill-after=60 "${ODOO_TEST_TIMEOUT:-3600}" \
        "${ODOO_CMD[@]}" -d "$DB" \
        --db_host "$PGHOST" --db_port "$PGPORT" --db_user odoo \
        --addons-path "$ADDONS_PATH" --data-dir "$RUN_TMP/data" \
        -i "$INSTALL" --test-enable --test-tags "$TAGS" \
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
    # checklog-odoo: every WARNING, ERROR or CRITICAL record of the log fails,
    # except the known-harmless ones listed (with reasons) in checklog-odoo.cfg.
    log "checklog-odoo (checklog-odoo.cfg) on the Odoo log"
    if "$PYTHON" -m checklog_odoo --no-echo -c "$REPO_ROOT/checklog-odoo.cfg" "$LOG" >&2; then
        log_ok=1
        echo "checklog-odoo: no WARNING/ERROR/CRITICAL record outside the ignore list" >&2
    else
        log_ok=0
        echo "!! checklog-odoo: WARNING/ERROR/CRITICAL record(s) in the Odoo log (above)" >&2
    fi
    # a crash, a non-zero exit or a bad log with no counted failure still fail
    if [[ $o_fail -eq 0 && ($orc -ne 0 || $log_ok -eq 0 || -z "$res_line") ]]; then
        o_fail=1
    fi
    PASSED=$((PASSED + o_pass))
    FAILED=$((FAILED + o_fail))
    SUMMARY+=("odoo tests: $o_pass passed, $o_fail failed (exit $orc${res_line:+"; ${res_line##*odoo.tests.result: }"}; log check $([[ $log_ok -eq 1 ]] && echo OK || echo FAILED))")

    if [[ -n "$res_line" ]]; then
        # (g2) pytest-odoo on the database Odoo's runner just installed: the
        # addon's tests package (all its tests run post-install here; HttpCase
        # tours are skipped without --odoo-http, Odoo's runner ran them).
        # `make` exports the variable even when unset (empty): empty means the
        # default, `none` runs none.
        _pyt="${PYTEST_ODOO_ADDONS:-crm_lifecycle}"
        [[ "$_pyt" == none ]] && _pyt=""
        IFS=',' read -r -a _pyt_addons <<<"$_pyt"
        for a in "${_pyt_addons[@]}"; do
            tdir="$ADDONS_DIR/$a/tests"
            if [[ ! -f "$tdir/__init__.py" ]]; then
                SUMMARY+=("pytest-odoo $a: no tests package, nothing run")
                continue
            fi
            log "pytest-odoo $a/tests (database $DB)"
            junit="$RUN_TMP/pytest-odoo-$a.xml"
            timeout --kill-after=60 "${ODOO_TEST_TIMEOUT:-3600}" \
                "$PYTHON" -m pytest -q -rfEs -p no:cacheprovider \
                --odoo-config="$RUN_TMP/odoorc" --odoo-database="$DB" \
                --junitxml="$junit" "$tdir" </dev/null
            prc=$?
            read -r p f < <(junit_counts "$junit")
            if [[ $prc -ne 0 && $prc -ne 5 && $f -eq 0 ]]; then f=1; fi
            PASSED=$((PASSED + p))
            FAILED=$((FAILED + f))
            SUMMARY+=("pytest-odoo $a: $p passed, $f failed (exit $prc)")
        done

        # (g3) the committed i18n/<addon>.pot files match Odoo's export from the
        # test database (its demo data adds no term: same export as without).
        log "pot check (tools/pot.sh --check on $DB)"
        if POT_DB="$DB" bash "$HERE/pot.sh" --check; then
            SUMMARY+=("pot check: OK")
        else
            FAILED=$((FAILED + 1))
            SUMMARY+=("pot check: FAILED (counted as 1 failure; run make pot)")
        fi
    else
        SUMMARY+=("pytest-odoo, pot check: not run (the Odoo install did not finish)")
    fi
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
