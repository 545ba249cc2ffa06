#!/usr/bin/env bash
# Lint = `pre-commit run -a --show-diff-on-failure` with the hooks of
# .pre-commit-config.yaml (the one list of lint tools: pre-commit-hooks,
# oca-odoo-pre-commit-hooks, ruff, pylint-odoo mandatory checks, prettier).
# All hooks are local `language: system` hooks: no hook repository is cloned,
# nothing is fetched. Exit non-zero when a hook fails or rewrites a file.
#   LINT_INSTALL=0   do not pip/npm install the tools (test.sh already did)
#   extra arguments are passed to `pre-commit run`, e.g. a hook id:
#   `bash tools/lint.sh oca-checks-odoo-module`
set -uo pipefail
# shellcheck source=tools/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO_ROOT" || exit 1

if [[ "${LINT_INSTALL:-1}" != 0 ]]; then
    "$PYTHON" -m pip install -q --disable-pip-version-check --root-user-action=ignore -r requirements-test.txt \
        || die "pip install -r requirements-test.txt failed"
    ensure_prettier
fi
# the prettier hook calls .cache/node/node_modules/.bin/prettier
[[ -x "$REPO_ROOT/.cache/node/node_modules/.bin/prettier" ]] \
    || die "prettier missing in .cache/node: run without LINT_INSTALL=0"
git -C "$REPO_ROOT" rev-parse --git-dir >/dev/null 2>&1 \
    || die "pre-commit needs a git repository: run from a clone of the repository"

# pre-commit only sees files known to git: new files must be `git add`ed.
log "pre-commit run -a (.pre-commit-config.yaml)"
if "$PYTHON" -m pre_commit run -a --show-diff-on-failure "$@"; then
    printf '\nlint OK\n'
else
    printf '\nLINT FAILED (hooks above; fixers may have rewritten files: see git diff)\n' >&2
    exit 1
fi
