"""Stage 3: one protected fill-in workbook per unit, and reading a form's metadata back."""

from zwgk_xl.forms.writer import split_plan, write_forms

__all__ = ["split_plan", "write_forms"]
