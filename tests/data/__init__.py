"""lib/data: models, database, audit trail, queries and accounts against real databases."""
