"""The layers' import contracts, checked on the real tree."""
