"""Pre-async/await coroutines: asyncio.coroutine is gone since Python 3.11."""

import asyncio


@asyncio.coroutine
def run():
    yield
    return 1
