"""The one way the ledger writes XLSX files.

Names, references, notes and emails come from users (a portal user can rename
themselves ``=HYPERLINK(...)``): xlsxwriter's ``write()`` would turn such text
into a live formula, a link or a number. Every workbook is created here with
those conversions off, and text goes through ``write_text``.
``tests/test_xlsx_text.py`` fails when a workbook is created anywhere else.
"""

import xlsxwriter

TEXT_AS_TEXT = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def new_workbook(output, **options):
    """An xlsxwriter workbook writing to ``output`` that never interprets text."""
    return xlsxwriter.Workbook(output, {**options, **TEXT_AS_TEXT})


def write_text(sheet, row, col, value, cell_format=None):
    """Write ``value`` as a text cell, whatever it looks like; empty for None/False."""
    text = "" if value is None or value is False else str(value)
    return sheet.write_string(row, col, text, cell_format)
