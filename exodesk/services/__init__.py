"""Services layer of ExoDesk."""
