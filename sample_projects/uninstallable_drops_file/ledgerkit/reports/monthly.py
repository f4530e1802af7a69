def monthly() -> str:
    return "report"
