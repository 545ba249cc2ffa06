from . import test_sale_loyalty_tier
