"""Stage 3: one protected fill-in workbook per unit (writer), its layout (spec) and reading it back (metadata)."""

from zwgk_xl.forms.command import SplitResult, run_split
from zwgk_xl.forms.metadata import read_form_metadata
from zwgk_xl.forms.writer import write_forms

__all__ = ["SplitResult", "read_form_metadata", "run_split", "write_forms"]
