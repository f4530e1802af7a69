from backend.deps import get_db


def main():
    print("serving with", get_db())


if __name__ == "__main__":
    main()
