"""Domain layer of ExoDesk."""
