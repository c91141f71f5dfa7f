"""lib/editing: the save path's properties and the history (read back, revert)."""
