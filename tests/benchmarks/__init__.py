"""The performance benchmark: a synthetic clinic generator and the figures measured on it."""
