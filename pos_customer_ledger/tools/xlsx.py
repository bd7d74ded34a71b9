"""The one way the ledger writes XLSX files.

Names, references, notes and emails come from users (a portal user can rename
themselves ``=HYPERLINK(...)``): xlsxwriter's ``write()`` would turn such text
into a live formula, a link or a number. Every workbook is created with those
conversions off (``TEXT_AS_TEXT``: here, or by the XLSX report base
``report.pos_customer_ledger.abstract_xlsx``), text goes through ``write_text``
and every report takes its cell formats from ``add_formats``.
``tests/test_xlsx_text.py`` fails when a workbook is created anywhere else.
"""

import xlsxwriter

TEXT_AS_TEXT = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def new_workbook(output, **options):
    """An xlsxwriter workbook writing to ``output`` that never interprets text."""
    return xlsxwriter.Workbook(output, {**options, **TEXT_AS_TEXT})


MONEY = "#,##0.00;-#,##0.00"


def add_formats(workbook, money=MONEY):
    """The cell formats every ledger report uses, keyed by role; ``money`` is a number format."""
    specs = {
        "title": {"bold": True, "font_size": 14},
        "bold": {"bold": True},
        "header": {"bold": True, "bottom": 1, "bg_color": "#EEEEEE"},
        "day": {"num_format": "yyyy-mm-dd"},
        "datetime": {"num_format": "yyyy-mm-dd hh:mm"},
        "money": {"num_format": money},
        "money_bold": {"num_format": money, "bold": True, "top": 1},
        "number": {"num_format": "#,##0.00;-#,##0.00"},
        "integer": {"num_format": "#,##0"},
        "percent": {"num_format": "0.0%"},
    }
    return {role: workbook.add_format(spec) for role, spec in specs.items()}


def write_text(sheet, row, col, value, cell_format=None):
    """Write ``value`` as a text cell, whatever it looks like; empty for None/False."""
    text = "" if value is None or value is False else str(value)
    return sheet.write_string(row, col, text, cell_format)
