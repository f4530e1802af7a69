"""Never built: setup.py loops forever."""
