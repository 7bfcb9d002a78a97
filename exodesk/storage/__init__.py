"""Storage layer of ExoDesk."""
