from . import test_dispute
