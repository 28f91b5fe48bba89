"""The 台账 folder: finding it, its settings, and the SQLite ledger that holds a year's state."""

from zwgk_xl.ledger.store import (ARCHIVE_DIR, CONFIG_NAME, LEDGER_NAME, SCHEMA_VERSION, Ledger, Submission,
                                  find_workspace, read_config, sha256_file)

__all__ = ["ARCHIVE_DIR", "CONFIG_NAME", "LEDGER_NAME", "SCHEMA_VERSION", "Ledger", "Submission",
           "find_workspace", "read_config", "sha256_file"]
