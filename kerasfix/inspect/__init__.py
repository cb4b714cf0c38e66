"""Look at the target: its interpreter, what it imports, what it has installed."""
