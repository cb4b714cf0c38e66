"""Renderers: one module per output (text, JSON, Markdown) of scans, fixes and explanations."""
