"""Stage 4: merge the returned forms into the ledger and the master table."""

from zwgk_xl.merge.command import merge_folder, run_merge

__all__ = ["merge_folder", "run_merge"]
