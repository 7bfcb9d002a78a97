"""Dialogs shared by the main window: settings, staff, who is at the desk."""
