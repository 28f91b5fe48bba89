"""Files a unit sends beside its form: a stamped scan (盖章扫描件), a covering note, an archive.

A file that is not a spreadsheet is a ``reply-not-spreadsheet`` warning while it is all its unit sent: the
unit's form is still missing.  Once the unit's form is in force for the round, the same file is a companion:
archived, not merged, nothing to do — an ``attachment`` note.  This is decided at the end of every merge and
when the master is built, from the submissions in force, so a form that arrives after its scan turns the
warning into a note; the ledger keeps the file's receipt as it was recorded.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from zwgk_xl.core import findings as fk
from zwgk_xl.core.model import Finding

SCAN, PICTURE, DOCUMENT, ZIP, ARCHIVE = "scan", "picture", "document", "zip", "archive"
KINDS = {  # extension -> what a file that is not a spreadsheet is (merge, mail fetch and reminders read it)
    **dict.fromkeys((".pdf", ".ofd"), SCAN),
    **dict.fromkeys((".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".gif", ".heic", ".webp"), PICTURE),
    **dict.fromkeys((".doc", ".docx", ".wps", ".wpt", ".rtf", ".odt", ".txt"), DOCUMENT),
    ".zip": ZIP,  # a .zip is opened (see merge.archives)
    **dict.fromkeys((".rar", ".7z", ".tar", ".gz"), ARCHIVE),
}
LIKELY = {SCAN: "可能是盖章扫描件", PICTURE: "可能是盖章扫描件", DOCUMENT: "可能是文字说明材料",
          ZIP: "压缩包，其中没有表格文件", ARCHIVE: "压缩包，未打开；请对方改发 .zip 或直接发表格"}


def kind_of(suffix: str) -> str:
    """What a file that is not a spreadsheet most likely is, by its extension: 「（.pdf，可能是盖章扫描件）」."""
    suffix = suffix.lower()
    what = LIKELY.get(KINDS.get(suffix, ""), "")
    return f"（{suffix or '无扩展名'}{'，' + what if what else ''}）"


def companions(findings: list[Finding], in_force: set[str]) -> list[Finding]:
    """``findings`` with every ``reply-not-spreadsheet`` of a unit in ``in_force`` (units whose form is in force)
    turned into an ``attachment`` note; the others as they are, in order."""
    out = []
    for f in findings:
        if f.type == "reply-not-spreadsheet" and f.unit in in_force:
            suffix = PurePosixPath(f.file).suffix
            f = fk.finding("attachment", f"{f.unit}另发来的文件不是填报表格{kind_of(suffix)}，已归档备查；"
                                         f"该单位的填报表已汇总。", unit=f.unit, file=f.file, sheet=f.sheet, cell=f.cell)
        out.append(f)
    return out
