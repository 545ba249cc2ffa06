# Plain-Python rules of crm_collections: no ORM, no database.
# Imported by the models and tested on their own (lib/tests).
