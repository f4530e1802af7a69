def total(amounts: list[int]) -> int:
    return sum(amounts)
