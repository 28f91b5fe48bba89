"""All exceptions raised by the library, grouped by cause.

Every message is Simplified Chinese, names the file (and sheet/row where it
applies) and says what to do.  The CLI turns these into one-line messages;
tracebacks appear only with ``--verbose``.
"""

from __future__ import annotations


class ZwgkError(Exception):
    """Base class: a problem the user can act on; the command stops before changing anything (exit 2)."""

    exit_code = 2


class InputError(ZwgkError):
    """An input file is missing, empty, unreadable or of an unsupported type."""


class UnsupportedFormat(InputError):
    """The file type is not one we can read."""


class NoStructure(InputError):
    """The document holds no recognisable numbered task list."""


class ConverterMissing(InputError):
    """An external converter (LibreOffice ``soffice``) is needed but absent."""


class DirectoryError(ZwgkError):
    """The unit directory (部门名录) is malformed."""


class PlanError(ZwgkError):
    """The 分解表 (plan workbook) is malformed."""


class WorkspaceError(ZwgkError):
    """The 台账 folder or its ledger cannot be used."""


class FormError(ZwgkError):
    """A fill-in form cannot be written or read."""


class MailError(ZwgkError):
    """Sending or fetching mail failed."""


class ReportError(ZwgkError):
    """The report cannot be rendered."""


class UsageError(ZwgkError):
    """Arguments that do not fit together."""

    exit_code = 2


class NotATaskList(NoStructure):
    """The document is something else (news, an interpretation, a report): it holds no task list."""
