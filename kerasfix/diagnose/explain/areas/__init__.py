"""Checkers for the catalogue's area modules (kerasfix/knowledge/messages/<area>.py), one
module per area, each with its own DECIDES (cause id -> checker); deciders.py gathers them."""
