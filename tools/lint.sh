#!/usr/bin/env bash
# Lint: ruff check, ruff format --check, pylint-odoo (OCA mandatory checks),
# prettier --check on the addons' XML.  Exit non-zero when any of them fails.
#   LINT_INSTALL=0   do not pip/npm install the tools (test.sh already did)
set -uo pipefail
# shellcheck source=tools/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO_ROOT" || exit 1

if [[ "${LINT_INSTALL:-1}" != 0 ]]; then
    "$PYTHON" -m pip install -q --disable-pip-version-check --root-user-action=ignore -r requirements-test.txt \
        || die "pip install -r requirements-test.txt failed"
    ensure_prettier
fi

addon_dirs
py_targets=("${ADDON_DIRS[@]}")
for d in tests tools; do [[ -d "$d" ]] && py_targets+=("$d"); done
failed=()

log "ruff check"
"$PYTHON" -m ruff check --no-fix "${py_targets[@]}" || failed+=("ruff check")

log "ruff format --check"
"$PYTHON" -m ruff format --check "${py_targets[@]}" || failed+=("ruff format")

if [[ ${#ADDON_DIRS[@]} -gt 0 ]]; then
    log "pylint-odoo (.pylintrc-mandatory)"
    "$PYTHON" -m pylint --rcfile=.pylintrc-mandatory "${ADDON_DIRS[@]}" || failed+=("pylint-odoo")

    log "prettier --check (XML)"
    mapfile -t xml_files < <(find "${ADDON_DIRS[@]}" -name '*.xml' -not -path '*/node_modules/*' | sort)
    if [[ ${#xml_files[@]} -gt 0 ]]; then
        "$PRETTIER" --no-color --config "$REPO_ROOT/.prettierrc.yml" --check "${xml_files[@]}" || failed+=("prettier")
    else
        echo "no XML files"
    fi
else
    echo "no addon directories found for ADDONS=$ADDONS" >&2
fi

if [[ ${#failed[@]} -gt 0 ]]; then
    printf '\nLINT FAILED: %s\n' "$(IFS=,; echo "${failed[*]}")" >&2
    exit 1
fi
printf '\nlint OK\n'
