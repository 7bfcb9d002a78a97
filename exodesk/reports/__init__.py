"""Reports layer of ExoDesk."""
