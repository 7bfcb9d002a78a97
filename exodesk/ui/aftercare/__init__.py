"""The Aftercare tab."""
