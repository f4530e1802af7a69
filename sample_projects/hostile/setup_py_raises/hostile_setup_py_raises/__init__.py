"""Never built: setup.py raises."""
