"""The Sessions tab and its dialogs."""
