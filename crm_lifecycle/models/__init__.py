from . import crm_lifecycle_stage
from . import crm_lifecycle_segment
from . import crm_lifecycle_history
from . import crm_lifecycle_run
from . import crm_lifecycle_profile
from . import res_company
from . import res_config_settings
from . import res_partner
