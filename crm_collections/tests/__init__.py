from . import test_policy
from . import test_run
from . import test_pause
from . import test_payment_record
from . import test_security
from . import test_aging
from . import test_workspace
from . import test_collections_kpi
