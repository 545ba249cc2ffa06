from . import crm_lifecycle_profile
from . import crm_lifecycle_scoring
from . import res_company
