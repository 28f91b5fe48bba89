"""The Excel control workbook ``zwgk_xl.xlsm``, built from the text sources in this folder.

Installed as ``zwgk_xl.ledger.workbooks`` (the 台账 folder's control panel):
``ZwgkButtons.bas`` (the buttons' VBA, ASCII), :mod:`.layout` (sheets, buttons,
settings rows, headers) and :mod:`.build` (pyOpenVBA + xlsxwriter).
"""
