"""The Intake screening tab."""
