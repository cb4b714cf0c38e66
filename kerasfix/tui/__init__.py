"""The Textual app. Renders core objects and calls core functions; no logic of its own."""
