def main() -> int:
    print("report")
    return 0
