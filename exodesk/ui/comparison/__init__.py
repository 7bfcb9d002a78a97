"""The Treatment comparison tab."""
