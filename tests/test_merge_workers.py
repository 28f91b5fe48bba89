"""merge: files read by worker processes give exactly the result, ledger and progress of reading them here."""

from __future__ import annotations

import datetime as dt
import faulthandler
import os
import shutil
import time

import pytest
from python_calamine import CalamineWorkbook

from _merge_helpers import build_messy, ledger_tables
from zwgk_xl.merge import workers as merge
from zwgk_xl.core.errors import UsageError
from zwgk_xl.merge.command import default_workers, run_merge

TODAY = dt.date(2021, 7, 10)


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    """The messy folder of test_merge plus a byte-identical copy of one form (a duplicate) in a subfolder."""
    box, ws = build_messy(tmp_path_factory, "workers")
    (box / "回收" / "再次发送").mkdir()
    shutil.copy(box / "回收" / "教育局(修改版).xlsx", box / "回收" / "再次发送" / "教育局.xlsx")
    reference = merged(box, ws, "here", workers=1)
    assert reference[0].workers == 0 and len(reference[3]) == 9
    return box, ws, reference


def merged(box, ws, name: str, workers: int):
    """Merge the folder into a copy of the unmerged ledger: (result, its dict, ledger tables, progress calls, 汇总)."""
    target = box / name
    shutil.copytree(ws, target)
    calls = []
    result = run_merge(box / "回收", workspace=target, output=target / "汇总表.xlsx", today=TODAY, workers=workers,
                       progress=lambda done, total, file: calls.append((done, total, file)))
    as_dict = dict(result.to_dict(), workspace="", output="", backup="", summary="")
    summary = CalamineWorkbook.from_path(str(target / "汇总表.xlsx")).get_sheet_by_name("汇总").to_python()
    return result, as_dict, ledger_tables(target), calls, summary


@pytest.fixture
def eager(monkeypatch):
    """Workers for any number of files, one file a chunk, this process slowed down so the workers get some.

    Yields the list of how many files each worker message delivered.
    """
    monkeypatch.setattr(merge, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(merge, "PARALLEL_MIN_FILES_SPAWN", 1)
    monkeypatch.setattr(merge, "CHUNK", 1)
    delivered = []
    drain, examine = merge.ReadScheduler._drain, merge.ReadScheduler._examine_draining

    def counting(conns, results, wait=False):
        before = sum(map(len, results.values()))
        drain(conns, results, wait)
        delivered.append(sum(map(len, results.values())) - before)

    def slowly(self, path, conns, results):
        time.sleep(0.15)
        return examine(self, path, conns, results)

    monkeypatch.setattr(merge.ReadScheduler, "_drain", staticmethod(counting))
    monkeypatch.setattr(merge.ReadScheduler, "_examine_draining", slowly)
    yield delivered


def assert_same(got, reference):
    assert got[1] == reference[1]  # --json output, findings included, in the same order
    assert got[2] == reference[2]  # every ledger table
    assert got[3] == reference[3]  # progress: once a file, in order
    assert got[4] == reference[4]  # the master's 汇总 sheet


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_give_the_same_result_ledger_and_progress(messy, eager, workers):
    box, ws, reference = messy
    got = merged(box, ws, f"workers{workers}", workers)
    assert got[0].workers == workers and sum(eager) >= 3  # the workers read files
    assert_same(got, reference)
    assert [c[0] for c in got[3]] == list(range(1, 10)) and {c[1] for c in got[3]} == {9}
    # read by different processes, the copy is still the second one seen, by path order
    assert [f["file"] for f in got[1]["findings"] if f["type"] == "duplicate-file"] == ["教育局(修改版).xlsx"]


def test_spawned_workers(messy, eager, monkeypatch):
    """Workers started as fresh interpreters (Windows' way) read the same."""
    box, ws, reference = messy
    monkeypatch.setattr(merge, "MP_START", "spawn")
    got = merged(box, ws, "spawned", 2)
    assert got[0].workers == 2 and sum(eager) >= 1
    assert_same(got, reference)


def _failing_worker(reader, chunks, conn):
    """Takes a chunk, then dies without a word."""
    chunks.take_front()
    os._exit(3)


def _no_start(*args, **kwargs):
    raise OSError("no processes here")


@pytest.mark.parametrize("how", ["worker dies", "no processes", "unknown start method"])
def test_failing_workers_leave_nothing_unread(messy, eager, monkeypatch, how):
    box, ws, reference = messy
    if how == "worker dies":
        monkeypatch.setattr(merge, "_worker", _failing_worker)
    elif how == "no processes":
        monkeypatch.setattr(merge, "Chunks", _no_start)
    else:
        monkeypatch.setattr(merge, "MP_START", "no-such-method")
    got = merged(box, ws, how.replace(" ", "_"), 2)
    assert_same(got, reference)


def test_worker_count(monkeypatch):
    monkeypatch.setenv("ZWGK_WORKERS", "1")
    assert default_workers() == 1
    monkeypatch.setenv("ZWGK_WORKERS", "6")
    assert default_workers() == 6
    monkeypatch.delenv("ZWGK_WORKERS")
    assert 1 <= default_workers() <= 4
    monkeypatch.setenv("ZWGK_WORKERS", "两个")
    with pytest.raises(UsageError, match="ZWGK_WORKERS"):
        default_workers()


def test_a_file_that_crashes_its_reader_is_one_finding(messy, eager, monkeypatch):
    """A native crash in a reading library ends the process reading (it cannot be caught).  When a worker
    dies so, the files it was given are read again one process each: the file that crashes is rejected
    with a finding, the others merge as before."""
    box, ws, reference = messy
    files = sorted(p.relative_to(box / "回收").as_posix() for p in (box / "回收").rglob("*") if p.is_file())
    killer = files[0]  # workers take chunks from the front
    parent, examine = os.getpid(), merge.Reader.examine

    def crashing(self, path, known=None, keep_data=True):
        if os.getpid() != parent and path.relative_to(box / "回收").as_posix() == killer:
            faulthandler.disable()  # quietly
            os.abort()  # as a Rust allocation failure ends the process
        return examine(self, path, known, keep_data)

    monkeypatch.setattr(merge.Reader, "examine", crashing)
    got = merged(box, ws, "crash", 2)
    mine = [f for f in got[1]["findings"] if f["file"] == killer]
    assert [f["type"] for f in mine] == ["unexpected-error"] and "进程意外终止" in mine[0]["message"]
    assert [f["outcome"] for f in got[1]["files"] if f["file"] == killer] == ["rejected"]
    others = lambda r: [(f["file"], f["outcome"], f["unit"]) for f in r[1]["files"] if f["file"] != killer]  # noqa: E731
    assert others(got) == others(reference)


def test_a_run_ended_by_a_crash_is_followed_by_one_that_rejects_the_file(messy, tmp_path, monkeypatch):
    """Read in this process, a file that crashes the reading library ends the merge (nothing can catch it).
    The run notes the file it is reading, so the next run reads that file in a process of its own, rejects
    it with a finding when that process dies too, and merges the rest."""
    from zwgk_xl.merge.command import READING_NOTE

    box, ws, reference = messy
    target = tmp_path / "台账"
    shutil.copytree(ws, target)
    files = sorted(p for p in (box / "回收").rglob("*") if p.is_file())
    killer = files[3]
    (target / READING_NOTE).write_bytes(os.fsencode(str(killer)))  # as the crashed run left it
    parent, examine = os.getpid(), merge.Reader.examine

    def crashing(self, path, known=None, keep_data=True):
        if path == killer:
            if os.getpid() == parent:
                raise AssertionError("read again in the merging process")
            faulthandler.disable()
            os.abort()
        return examine(self, path, known, keep_data)

    monkeypatch.setattr(merge.Reader, "examine", crashing)
    result = run_merge(box / "回收", workspace=target, output=target / "汇总表.xlsx", today=TODAY, workers=1)
    name = killer.relative_to(box / "回收").as_posix()
    assert [f.type for f in result.findings if f.file == name] == ["unexpected-error"]
    assert [(f.file, f.outcome) for f in result.files if f.file != name] == \
        [(f["file"], f["outcome"]) for f in reference[1]["files"] if f["file"] != name]
    assert not (target / READING_NOTE).exists()  # the run finished: nothing left to suspect


def test_the_file_being_read_is_noted_until_the_run_ends(messy, tmp_path, monkeypatch):
    from zwgk_xl.merge.command import READING_NOTE

    box, ws, _ = messy
    target = tmp_path / "台账"
    shutil.copytree(ws, target)
    seen, examine = [], merge.Reader.examine

    def noting(self, path, known=None, keep_data=True):
        seen.append((target / READING_NOTE).read_bytes() == os.fsencode(str(path)))
        return examine(self, path, known, keep_data)

    monkeypatch.setattr(merge.Reader, "examine", noting)
    run_merge(box / "回收", workspace=target, output=target / "汇总表.xlsx", today=TODAY, workers=1)
    assert seen and all(seen) and not (target / READING_NOTE).exists()


def test_without_processes_a_file_a_crashed_run_was_reading_is_rejected_unread(messy, tmp_path, monkeypatch):
    from zwgk_xl.merge.command import READING_NOTE

    box, ws, _ = messy
    target = tmp_path / "台账"
    shutil.copytree(ws, target)
    killer = sorted(p for p in (box / "回收").rglob("*") if p.is_file())[2]
    (target / READING_NOTE).write_bytes(os.fsencode(str(killer)))
    monkeypatch.setattr(merge, "MP_START", "no-such-method")
    result = run_merge(box / "回收", workspace=target, output=target / "汇总表.xlsx", today=TODAY, workers=1)
    [f] = [f for f in result.findings if f.file == killer.relative_to(box / "回收").as_posix()]
    assert f.type == "unexpected-error" and "上次汇总读取该文件时程序意外终止" in f.message
