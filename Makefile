# Developer entry points.
#
# Variables (environment or `make VAR=value`):
#   ODOO_ADDONS_PATH  extra addons directories (comma separated), appended to
#                     <odoo>/addons,<this repo> in --addons-path
#   ODOO_BIN          Odoo server command (default: `python3 -m odoo`, i.e. the
#                     `odoo` package that python3 imports; never installed here)
#   ODOO_CORE_ADDONS  Odoo's own addons dir (default: <dir of odoo.__file__>/addons)
#   ADDONS            addons to test (default: crm_lifecycle,crm_collections,crm_support_ext,crm_lifecycle_sale_loyalty,crm_support_collections,crm_support_sale,crm_collections_sale)
#   SKIP_LINT=1 / SKIP_ODOO=1   skip parts of `make test`
#   PYTEST_ODOO_ADDONS          addons whose tests/ `make test` also runs under
#                               pytest-odoo (default crm_lifecycle)
#   PARTNERS, INVOICES          sizes for `make bench` (default 10000 / 100000)
#   CASES                       cases of `make bench`: families or family:case,
#                               comma separated (default: all, i.e. `scoring`:
#                               first, next_day, unchanged; `value`; `kpi`: refresh and
#                               each report's default pivot, after `scoring`); see tests/bench/run.py
#   CUSTOMERS                   customers of the `value` bench (default 100000)
#   DEMO_HTTP_PORT              port for `make demo` (default 8069)

SHELL := /bin/bash
PARTNERS ?= 10000
INVOICES ?= 100000
export ODOO_ADDONS_PATH ODOO_BIN ODOO_CORE_ADDONS ADDONS SKIP_LINT SKIP_ODOO \
	PYTEST_ODOO_ADDONS PARTNERS INVOICES CASES CUSTOMERS DEMO_HTTP_PORT

.PHONY: help test lint fmt demo bench check-odoo pot pot-check pg-start pg-stop

help:
	@echo "make test | lint | fmt | demo | bench [PARTNERS=.. INVOICES=.. CASES=..] | pot | pot-check | check-odoo"

test:
	bash tools/test.sh

lint:
	bash tools/lint.sh

fmt:
	bash tools/fmt.sh

demo:
	bash tools/demo.sh

# One generated database, one child process per case; summary lines last
# (`scoring: case=... job_s=... floor_s=... ratio=... mismatches=...`), exit 1
# on mismatches. Big run in the background, see tests/bench/run.py:
#   PARTNERS=1000000 INVOICES=10000000 make bench > /tmp/bench-big.log 2>&1 &
bench:
	bash tools/bench.sh

check-odoo:
	bash tools/check_odoo.sh

# <addon>/i18n/<addon>.pot exported by Odoo from a fresh no-demo database
pot:
	bash tools/pot.sh

pot-check:
	bash tools/pot.sh --check
