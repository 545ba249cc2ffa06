from . import test_policy
from . import test_run
from . import test_pause
from . import test_payment_record
from . import test_security
from . import test_payment_behaviour
from . import test_risk
