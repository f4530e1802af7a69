def main() -> int:
    print("acme client")
    return 0
