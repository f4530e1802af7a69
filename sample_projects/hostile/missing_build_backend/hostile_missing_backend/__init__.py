"""Never built: the build backend does not exist."""
