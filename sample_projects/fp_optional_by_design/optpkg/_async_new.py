async def run() -> int:
    return 1
