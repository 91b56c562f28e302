"""Cells of the CSV files people open in a spreadsheet: a cell that begins with `=`, `+`, `-`, `@`, a tab
or a carriage return would be read as a formula (OWASP "CSV injection": a programme or session name
written as `=HYPERLINK(…)` by one person runs in another's spreadsheet). Such a cell is written after a
single quote, which spreadsheets show as text and do not evaluate."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text
