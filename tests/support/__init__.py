"""Helpers shared by the tests (and the load benchmark); no test lives here."""
