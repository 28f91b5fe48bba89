"""Merge returned forms into the ledger (the ``merge`` command).

:func:`merge_folder` reads every file below a folder, identifies its unit
(:mod:`zwgk_xl.merge.identify`), validates it against the plan
(:mod:`zwgk_xl.merge.checking`), and stores it in the ledger, one transaction
per file.  Every problem becomes a finding; a bad file never stops the others.
The round is chosen (``--round``, else the ledger's current round), never
guessed from a file.  :func:`run_merge` is the whole command: workspace,
ledger, plan, merge and the master workbook.

Memory is bounded whatever the files hold: a zip is checked (part count,
declared and actual sizes, ratios) before any part is inflated, a sheet is
read within a form's shape (:class:`zwgk_xl.merge.intake.Limits`; cells beyond
are a finding, never an allocation), and files are read one at a time per
process.  A merge of 300 forms stays well under 500 MB
(``tests/test_merge_adversarial_props.py`` runs the hostile files under an
address-space limit).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import hashlib
import time
from collections import Counter
from pathlib import Path
from typing import Callable

from zwgk_xl.core import findings as fk
from zwgk_xl.core.gcpause import no_cyclic_gc
from zwgk_xl.core.errors import UsageError
from zwgk_xl.core.model import Document, Finding
from zwgk_xl.decompose.assign import assignment_ids
from zwgk_xl.decompose.plan import read_plan
from zwgk_xl.forms import spec as fs
from zwgk_xl.forms.metadata import meta_from_rows
from zwgk_xl.core import paths
from zwgk_xl.forms.command import check_round
from zwgk_xl.ledger.settings import load_settings
from zwgk_xl.ledger.store import ARCHIVE_DIR, LEDGER_NAME, Ledger, find_workspace, sha256_file
from zwgk_xl.merge import archives
from zwgk_xl.merge.archives import UNPACK_DIR
from zwgk_xl.merge.attachments import companions
from zwgk_xl.merge.context import Context
from zwgk_xl.merge.examine import Examined, Reader
from zwgk_xl.merge.identify import units_in_name
from zwgk_xl.merge.intake import Limits, Rejected, discover, open_book, precheck
from zwgk_xl.merge.master import assigned_tasks, build_master, round_findings, write_master
from zwgk_xl.merge.results import FileOutcome, MergeResult
from zwgk_xl.merge.workers import ReadScheduler, default_workers  # noqa: F401 (default_workers re-exported)

Progress = Callable[[int, int, str], None]
READING_NOTE = ".~zwgk_reading"  # in the 台账 folder: the file being read (see ReadScheduler._note)


class Merger(ReadScheduler):
    """Stores examined files in the ledger, one transaction per file, in the order of the files."""

    def __init__(self, ledger: Ledger, reader: Reader, workers: int = 1):
        super().__init__(reader, workers, journal=ledger.workspace / READING_NOTE)
        self.ledger = ledger

    def store(self, path: Path, ex: Examined) -> tuple[FileOutcome, list[Finding]]:
        """Record one examined file in the ledger (archive, receipt, submission) in one transaction.

        An error while storing one file rolls back its transaction and becomes its finding.
        """
        try:
            return self._store(path, ex)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as e:  # noqa: BLE001 - one file's failure is its finding, never a stopped round
            out = ex.out
            out.outcome, out.also = "rejected", []
            found = [f for f in ex.findings if f.severity != fk.INFO] + [self.reader.finding(
                "unexpected-error", f"保存该文件时发生意外问题（{type(e).__name__}：{e}），未汇总。", out)]
            with contextlib.suppress(Exception):
                self.ledger.record_receipt(self.reader.ctx.round, out.sha256, out.file, out.received_at,
                                           out.outcome, out.unit, out.identified_by, out.meta_source, found)
            return out, found

    def _store(self, path: Path, ex: Examined) -> tuple[FileOutcome, list[Finding]]:
        out = ex.out
        if ex.skipped:
            return out, ex.findings
        if out.sha256 in self.seen:
            out = FileOutcome(file=out.file, round=out.round, sha256=out.sha256, unit=ex.name_unit,
                              received_at=out.received_at)
            return out, [self.reader.finding("duplicate-file", f"与 {self.seen[out.sha256]} 内容完全相同，只计一次。",
                                             out)]
        t0 = time.perf_counter()
        if ex.archive and ex.data is None and not self.ledger.is_archived(out.sha256):
            data = path.read_bytes()  # read again for the archive (workers do not pass the bytes back)
            if hashlib.sha256(data).hexdigest() != out.sha256:  # changed since: examine what is archived
                self.timings["ledger"] += time.perf_counter() - t0
                t0 = time.perf_counter()
                ex = self.reader.examine(path)
                self.timings["read_validate"] += time.perf_counter() - t0
                return self._store(path, ex)
            ex.data = data
        with self.ledger.transaction():
            if ex.archive:
                self.ledger.archive_file(path, out.sha256, ex.data, name=out.file.rsplit("/", 1)[-1])
            self.ledger.record_receipt(self.reader.ctx.round, out.sha256, out.file, out.received_at, out.outcome,
                                       out.unit, out.identified_by, out.meta_source, ex.findings)
            if ex.submission is not None:
                self.ledger.store_submission(ex.submission)
            for sub in ex.extra:
                self.ledger.store_submission(sub)
        self.seen[out.sha256] = out.file
        self.timings["ledger"] += time.perf_counter() - t0
        return out, ex.findings


# ---------------------------------------------------------------------------
# The merge


def _peek_round(files: list[Path], limits: Limits) -> str | None:
    """The round most forms' metadata names (first of equals), read within the safety limits: only when
    neither the clerk nor the ledger names one."""
    seen: Counter = Counter()
    for p in files[:200]:
        try:
            if precheck(p, limits) is not None:
                continue
            book = open_book(p.read_bytes(), limits, name=p.name)
            try:
                if fs.META_SHEET not in book.sheet_names:
                    continue
                meta = meta_from_rows(book.sheet(fs.META_SHEET).rows)
            finally:
                book.close()
        except (Rejected, OSError, ValueError, MemoryError):
            continue
        if meta and meta.get("round"):
            seen[meta["round"]] += 1
    return seen.most_common(1)[0][0] if seen else None


def _resolve_plan(ledger: Ledger, plan, round: str, directory) -> tuple[Document, str]:
    """The plan for ``round``: given (path or Document), else the ledger's for the round, else its latest."""
    ids = (lambda doc: assignment_ids(doc, directory)) if directory is not None else (lambda doc: None)
    if isinstance(plan, (str, Path)):
        path = Path(plan)
        if not path.is_file():
            raise UsageError(f"找不到分解表文件：{path}。请检查 --plan 的路径。")
        doc = read_plan(path)
        return ledger.store_plan(round, doc, source=path, assignment=ids(doc)), f"分解表 {path.name}"
    if isinstance(plan, Document):
        return ledger.store_plan(round, plan, assignment=ids(plan)), "调用方给定的分解表"
    doc = ledger.plan_for_round(round)
    if doc is not None:
        if directory is not None:
            ledger.store_plan(round, doc, assignment=ids(doc))
        return doc, f"台账中{round}的分解表"
    found = ledger.latest_plan()
    if found is None:
        raise UsageError(f"台账中还没有{round}的分解表。请用 --plan 指定分解表.xlsx。")
    ledger.store_plan(round, found[1], assignment=ids(found[1]))
    return found[1], f"沿用台账中{found[0]}的分解表"


def merge_folder(folder, ledger: Ledger, plan=None, round: str | None = None, progress: Progress | None = None,
                 limits: Limits | None = None, directory=None, workers: int | None = None,
                 issuers=()) -> MergeResult:
    """Merge every returned file below ``folder`` into ``ledger``.

    Args:
        folder: the folder of returned files (searched recursively).
        ledger: an open :class:`Ledger`.
        plan: a 分解表 path, a Document, or None to use the ledger's plan for the round.
        round: the reporting round; default: the ledger's current (latest) round, else the round most
            forms' metadata names.  Forms of another round are ``wrong-round`` findings.
        progress: called as ``progress(done, total, file)`` after each file is stored.
        limits: safety limits (:class:`zwgk_xl.intake.Limits`).
        directory: unit directory (expands groups such as 县直各部门; kept in the ledger).
        workers: processes reading the files when there are many (default :func:`default_workers`;
            1: read in this process).  The result and the ledger are the same either way.
        issuers: names of the issuing office (the notice's sender; a unit named in a file name beside
            another is taken to be the addressee, not the sender).

    Returns:
        A :class:`MergeResult`; its ``exit_code`` is 0 only when no finding is above info.

    Raises:
        UsageError: the folder or plan file does not exist, or no round or plan can be found.
        WorkspaceError: the ledger is damaged, foreign or read-only (nothing is written).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"找不到回收文件夹：{folder}。请检查路径。")
    limits = limits or Limits()
    ledger.check()
    backup = ledger.backup()
    files = discover(folder, exclude=[ledger.workspace / ARCHIVE_DIR, ledger.workspace / UNPACK_DIR])
    round = (round or "").strip() or (ledger.rounds() or [None])[-1] or _peek_round(files, limits)
    if not round:
        raise UsageError("无法确定汇总轮次：台账中还没有轮次，文件中也没有填报表元数据。请用 --round 指定，如 2021年第二季度。")
    ledger.ensure_round(round)
    plan_doc, plan_source = _resolve_plan(ledger, plan, round, directory)
    ctx = Context(round=round, ledger_id=ledger.ledger_id,
                   assigned=assigned_tasks(ledger, plan_doc, round, directory), directory=directory,
                   issuers=frozenset(issuers))
    most = max(map(len, ctx.assigned.values()), default=0)
    limits = dataclasses.replace(limits, max_rows=max(limits.max_rows, 2 * most + 200))
    merger = Merger(ledger, Reader(folder, ctx, limits, ledger.mail_units()),
                     default_workers() if workers is None else workers)
    run = ledger.start_run(round, str(folder))
    result = MergeResult(folder=str(folder), workspace=str(ledger.workspace), ledger_created=ledger.created,
                         round=round, plan_source=plan_source, backup=str(backup or ""))
    files, packed = _unpack_archives(files, merger.reader, ledger.workspace / UNPACK_DIR, limits)
    basis = ledger.merge_basis(round)
    done = _already_merged(ledger, round, merger.reader, files) if ledger.merged_basis(round) == basis else {}
    outcomes: dict[Path, tuple[FileOutcome, list[Finding]]] = {}
    for path, ex in packed.items():  # archives: a note (their spreadsheets follow), or why they stay shut
        if path not in done:
            outcomes[path] = merger.store(path, ex)
    for path, (out, found) in done.items():  # merged before against the same plan: the ledger's record stands
        merger.seen.setdefault(out.sha256, out.file)
        outcomes[path] = out, found
    result.unchanged = len(done) + sum(1 for p, ex in packed.items()  # an archive whose files all stand
                                       if ex.skipped and all(m in done for m in ex.members))
    n = len(done) + sum(1 for p in packed if p not in done)
    todo = [p for p in files if p not in done and p not in packed]
    with no_cyclic_gc(), contextlib.closing(merger.examined(todo)) as stream:
        for path, ex in stream:
            outcomes[path] = merger.store(path, ex)
            n += 1
            if progress:
                progress(n, len(files), outcomes[path][0].file)
    subs = ledger.submissions(round)  # as stored now: read once for the uses below
    in_force = {s.unit for s in subs if s.superseded_by is None}
    for path in files:
        out, found = outcomes[path]
        found = companions(found, in_force)  # a scan beside a form in force is a note, not a missing form
        if out.outcome == "rejected" and any(f.type == "attachment" for f in found):
            out.outcome = "attached"
        out.findings = sum(1 for f in found if f.severity != fk.INFO)
        result.files.append(out)
        result.findings.extend(found)
    _link_supersedes(result.files, subs)
    touched = {u for f in result.files if f.outcome == "accepted" for u in (f.unit, *f.also)}
    result.findings.extend(round_findings(ledger, round, {u: len(t) for u, t in ctx.assigned.items()}, touched,
                                          subs=subs))
    current = {s.unit: s for s in subs if s.superseded_by is None}
    result.units_submitted = [u for u in ctx.assigned if u in current]
    result.units_missing = [u for u in ctx.assigned if u not in current]
    result.timings = dict(merger.timings)
    result.workers = merger.used_workers
    result.assigned = ctx.assigned
    ledger.finish_run(run, len(files), len(result.findings))
    ledger.set_merged_basis(round, basis)
    return result


def _already_merged(ledger: Ledger, round: str, reader: Reader, files: list[Path]) -> dict:
    """path -> (outcome, findings) as recorded, for files merged before for ``round``: same name, same
    arrival time and same content (hashed to be sure).  Skipped files are not recorded and are looked at again."""
    known = {(r["file_name"], r["received_at"]): r for r in ledger.receipts(round)}
    if not known:
        return {}
    also, stored = {}, {}
    for sub in ledger.submissions(round):
        also.setdefault(sub.sha256, []).append(sub.unit)
    for sha, f in ledger.file_findings(round):
        stored.setdefault(sha, []).append(f)
    done = {}
    for path in files:
        try:
            rel = reader.relative(path)
            when = _dt.datetime.fromtimestamp(path.stat().st_mtime).isoformat(timespec="seconds")
            r = known.get((rel, when))
            if r is None or sha256_file(path) != r["sha256"]:
                continue
        except (OSError, ValueError):
            continue
        out = FileOutcome(file=rel, outcome=r["outcome"], sha256=r["sha256"], unit=r["unit"], round=round,
                          identified_by=r["identified_by"], meta_source=r["meta_source"], received_at=when,
                          also=[u for u in also.get(r["sha256"], []) if u != r["unit"]])
        done[path] = out, stored.get(r["sha256"], [])
    return done


def _unpack_archives(files: list[Path], reader: Reader, into: Path, limits: Limits) -> tuple[list[Path], dict]:
    """``files`` with the spreadsheets taken out of each .zip archive after it (see :mod:`zwgk_xl.merge.archives`),
    and path -> :class:`Examined` of each archive that gave files (a note) or could not be opened (its finding).
    An archive holding no spreadsheet stays as it is: a file that is not a spreadsheet."""
    out, packed, used = [], {}, set()
    for path in files:
        out.append(path)
        if not archives.is_archive(path):
            continue
        rel = reader.relative(path)
        found = units_in_name(reader.ctx, reader.stem(path))
        fo = FileOutcome(file=rel, round=reader.ctx.round, unit=found[0] if found else "", outcome="unpacked")
        try:
            fo.received_at = _dt.datetime.fromtimestamp(path.stat().st_mtime).isoformat(timespec="seconds")
            fo.sha256 = sha256_file(path)
            got = archives.unpack(path, rel, into, limits)
        except Rejected as r:
            fo.outcome = "rejected"
            packed[path] = Examined(fo, [reader.finding(r.kind, r.message, fo)], name_unit=fo.unit,
                                    archive=r.kind != "too-large")
            continue
        except OSError as e:
            fo.outcome = "rejected"
            packed[path] = Examined(fo, [reader.finding("unreadable", f"压缩包无法打开（{e.strerror or e}）。", fo)],
                                    name_unit=fo.unit, archive=False)
            continue
        if not got.files:
            continue
        unit = reader.mail_units.get(fo.sha256)
        for target, shown, stem, sha in got.files:
            used.add(target.parent.name)
            reader.shown[str(target)] = (shown, stem)
            if unit:  # fetched from a unit's mail: so were the files inside
                reader.mail_units.setdefault(sha, unit)
            out.append(target)
        packed[path] = Examined(fo, [reader.finding("archive-unpacked", archives.note(got), fo)], name_unit=fo.unit,
                                skipped=True, members=[t for t, *_ in got.files])
    archives.prune(into, used)  # what archives no longer in the folder left there
    return out, packed


def _link_supersedes(outcomes: list[FileOutcome], subs: list) -> None:
    """Name, for each accepted file, the older files it replaces (or the newer one replacing it);
    ``subs``: the round's submissions as :meth:`Ledger.submissions` gives them."""
    by_id = {s.id: s for s in subs}
    by_unit: dict[str, list] = {}
    for s in subs:
        by_unit.setdefault(s.unit, []).append(s)
    for out in outcomes:
        if out.outcome != "accepted":
            continue
        unit_subs = by_unit.get(out.unit, [])
        mine = next((s for s in unit_subs if s.sha256 == out.sha256), None)
        if mine is None:
            continue
        out.superseded = [s.file_name for s in unit_subs if s.superseded_by is not None and s.id != mine.id
                          and mine.superseded_by is None]
        if mine.superseded_by is not None:
            out.superseded_by = by_id[mine.superseded_by].file_name


def run_merge(folder, *, workspace=None, plan_path=None, round: str | None = None, output=None,
              units_path=None, progress: Progress | None = None, limits: Limits | None = None,
              today: _dt.date | None = None, workers: int | None = None) -> MergeResult:
    """The ``merge`` command: find the 台账, merge ``folder``, write the master workbook.

    The master goes to ``output`` (default ``<台账>/汇总表_<round>.xlsx``).  The
    unit directory comes from ``units_path``, else ``units`` in ``zwgk.toml``.
    """
    folder = paths.input_dir(folder, "回收文件夹")
    if round is not None:
        round = check_round(round)
    if plan_path is not None:
        paths.input_file(plan_path, "分解表", "--plan")
    if output is not None:
        paths.output_file(output, "汇总表")
    ws = find_workspace(Path(workspace) if workspace else None)
    if plan_path is None and not (ws / LEDGER_NAME).is_file():
        raise UsageError(f"在 {ws} 找不到台账，也没有给出分解表。本轮首次汇总请用 --plan 指定分解表.xlsx，"
                         "或用 -C 指定台账文件夹。")
    settings = load_settings(ws)
    issuers = [name for name in (settings.organ, settings.office) if name]
    directory = settings.directory(units_path)
    with Ledger.open(ws) as ledger:
        result = merge_folder(folder, ledger, plan=plan_path, round=round, progress=progress, limits=limits,
                              directory=directory, workers=workers, issuers=issuers)
        t0 = time.perf_counter()
        as_of = ledger.as_of(result.round, today)
        target = Path(output) if output else ws / f"汇总表_{result.round}.xlsx"
        stamp = f"{target.resolve()}|{as_of.isoformat()}|{settings.area}"
        kept = ledger.master_findings(result.round)
        if (result.unchanged == len(result.files) and target.is_file() and ledger.master_stamp(result.round) == stamp
                and kept is not None):
            result.master_written = False  # nothing new since the master was written: it stands
            added = [Finding(**f) for f in kept]
        else:
            with no_cyclic_gc():
                master = build_master(ledger, ledger.plan_for_round(result.round), result.round,
                                      directory=directory, as_of=as_of, assigned=result.assigned)
                write_master(master, target, area=settings.area)
            added = [f for f in master.findings if f.type == "lead-not-applicable"]
            ledger.set_master_stamp(result.round, stamp, [f.to_dict() for f in added])
        result.findings += added
        result.timings["master"] = time.perf_counter() - t0
        result.output = str(target)
    return result
