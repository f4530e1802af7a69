try:
    import aiohttp
except ImportError as exc:
    raise ImportError(
        "the daemon needs aiohttp: No module named 'aiohttp'. Install deskkit[daemon]"
    ) from exc


def main() -> None:
    print(aiohttp.__version__)
