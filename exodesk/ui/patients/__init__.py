"""The Patients tab: search, list and the patient form."""
