from . import test_security
from . import test_sla
from . import test_panel
from . import test_first_response
from . import test_portal
from . import test_priority
from . import test_churn
from . import test_intake
