from ledgerkit.reports import monthly

__all__ = ["monthly"]
