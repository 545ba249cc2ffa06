import sys
from pathlib import Path

import pytest

# Import the engines as a plain package, without loading the Odoo addon.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


@pytest.fixture(scope="module")
def cdnow():
    """``cdnow_customers_summary_with_transactions.csv``: x, t_x, T, zbar."""
    from value_data import load_summary

    return load_summary("cdnow_customers_summary_with_transactions.csv")
