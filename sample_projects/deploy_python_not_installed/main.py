"""A worker that runs on the image's Python; nothing in it needs 3.15 itself."""

import json


def main() -> None:
    print(json.dumps({"status": "ok"}))


if __name__ == "__main__":
    main()
