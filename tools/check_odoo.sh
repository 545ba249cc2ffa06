#!/usr/bin/env bash
# Fail loudly (exit 1) unless python3 imports Odoo 18.0. Never skips.
set -uo pipefail
PYTHON="${PYTHON:-python3}"
out="$("$PYTHON" - 2>&1 <<'PY'
import sys
try:
    import odoo
    import odoo.release
except Exception as exc:  # noqa: BLE001
    print(f"import odoo failed: {exc.__class__.__name__}: {exc}")
    sys.exit(1)
series = getattr(odoo.release, "series", None)
if series != "18.0":
    print(f"found Odoo series {series!r} at {odoo.__file__}, need '18.0'")
    sys.exit(1)
print(f"Odoo {odoo.release.version} ({odoo.__file__})")
PY
)"
rc=$?
if [[ $rc -ne 0 ]]; then
    echo "ERROR: Odoo 18.0 is not importable by $PYTHON ($(tail -n1 <<<"$out"))." \
        "Install Odoo 18.0 Community and make it importable, or set" \
        "ODOO_ADDONS_PATH/PYTHONPATH; see README" >&2
    exit 1
fi
echo "$out"
