"""Stage 4: merge the returned forms into the ledger and the master table.

Modules: ``command`` (merge_folder, run_merge), ``results`` (MergeResult), ``context`` (what was issued),
``examine`` (one file), ``identify`` (its unit), ``headers`` and ``checking`` (its table), ``intake`` and
``xlsxscan`` (reading safely), ``workers`` (reading in parallel), ``master`` (the master workbook).
"""

from zwgk_xl.merge.command import merge_folder, run_merge
from zwgk_xl.merge.results import FileOutcome, MergeResult

__all__ = ["FileOutcome", "MergeResult", "merge_folder", "run_merge"]
