"""Ui layer of ExoDesk."""
