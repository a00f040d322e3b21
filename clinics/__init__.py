"""Institutions, cloud clinics, staff, patients and the teleconsultation workflow."""
