# Plain-Python engines of crm_lifecycle: no ORM, no database.
# They are imported by the models and tested on their own (lib/tests).
