from . import test_step
