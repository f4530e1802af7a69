"""A Starlette service whose health check fails, plus an app factory started the wrong way."""
