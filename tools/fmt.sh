#!/usr/bin/env bash
# Apply formatters: ruff (imports + format) and prettier on the addons' XML.
set -euo pipefail
# shellcheck source=tools/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$REPO_ROOT"
"$PYTHON" -m pip install -q --disable-pip-version-check --root-user-action=ignore -r requirements-test.txt
ensure_prettier
addon_dirs
py_targets=("${ADDON_DIRS[@]}")
for d in tests tools; do [[ -d "$d" ]] && py_targets+=("$d"); done
"$PYTHON" -m ruff check --fix-only --select I "${py_targets[@]}" || true
"$PYTHON" -m ruff format "${py_targets[@]}"
if [[ ${#ADDON_DIRS[@]} -gt 0 ]]; then
    mapfile -t xml_files < <(find "${ADDON_DIRS[@]}" -name '*.xml' | sort)
    [[ ${#xml_files[@]} -gt 0 ]] && "$PRETTIER" --config "$REPO_ROOT/.prettierrc.yml" --write "${xml_files[@]}"
fi
echo "fmt done"
