"""Plan, preview, run, verify and undo a fix, inside the target environment only."""
