"""Stage 5: the 落实情况报告 and its statistics."""

from zwgk_xl.report.render import report_workspace

__all__ = ["report_workspace"]
