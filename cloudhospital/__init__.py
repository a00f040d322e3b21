"""CloudHospital: the Django project (settings, routing, shared security pieces)."""
