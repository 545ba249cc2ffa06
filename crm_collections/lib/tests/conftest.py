import sys
from pathlib import Path

# Import the rules as a plain package, without loading the Odoo addon.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
