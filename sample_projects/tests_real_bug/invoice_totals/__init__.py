"""Invoice arithmetic."""


def total(amounts: list[int], discount: int = 0) -> int:
    # The bug the test finds: the discount is added instead of subtracted.
    return sum(amounts) + discount
