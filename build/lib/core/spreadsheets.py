"""Cells written to CSV or XLSX files that people open in a spreadsheet."""

FORMULA_STARTS = ("=", "+", "-", "@")


def safe_cell(value) -> str:
    """``value`` as text that a spreadsheet shows instead of running as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text
