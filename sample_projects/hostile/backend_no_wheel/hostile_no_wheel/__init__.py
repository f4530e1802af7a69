"""Never installed: the backend writes no wheel."""
