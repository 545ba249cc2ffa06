from . import crm_collections_hold
from . import payment_transaction
from . import sale_order
