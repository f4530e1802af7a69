"""A Starlette service that cannot start: its lifespan needs a setting the host never provides."""
