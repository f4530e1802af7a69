"""A small Starlette service, started by uvicorn as the deploy files say."""
