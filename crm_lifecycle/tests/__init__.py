from . import test_figures
from . import test_stages
from . import test_rfm
from . import test_index
from . import test_job
from . import test_security
from . import test_settings
from . import test_tour
