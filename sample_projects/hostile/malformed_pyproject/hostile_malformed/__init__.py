"""Never built: pyproject.toml does not parse."""
