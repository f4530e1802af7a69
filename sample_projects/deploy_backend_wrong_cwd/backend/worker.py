from .deps import get_db


def run():
    return get_db()


if __name__ == "__main__":
    run()
