"""The ledger: workspace discovery, schema, archive, plans, submissions and superseding."""

from __future__ import annotations

import sqlite3

import pytest

from zwgk_xl.core.errors import WorkspaceError
from zwgk_xl.ledger.store import (ARCHIVE_DIR, LEDGER_NAME, SCHEMA_VERSION, Ledger, Submission, find_workspace,
                            read_config)

from _merge_helpers import ROUND, sample_plan


def test_find_workspace_walks_up_to_ledger_or_config(tmp_path):
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    assert find_workspace(start=deep) == deep  # nothing found: the start folder itself
    (tmp_path / "a" / "zwgk.toml").write_text('units = "名录.xlsx"\n', encoding="utf-8")
    assert find_workspace(start=deep) == tmp_path / "a"
    assert read_config(tmp_path / "a") == {"units": "名录.xlsx"}
    Ledger.open(tmp_path / "a" / "b").close()
    assert find_workspace(start=deep) == tmp_path / "a" / "b"
    assert find_workspace(explicit=tmp_path) == tmp_path
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(WorkspaceError, match="不是文件夹"):
        find_workspace(explicit=tmp_path / "f.txt")


def test_open_creates_schema_once_and_keeps_id(tmp_path):
    with Ledger.open(tmp_path) as led:
        assert led.created and (tmp_path / LEDGER_NAME).is_file()
        lid = led.ledger_id
        assert len(lid) == 36
        assert led.conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    with Ledger.open(tmp_path) as led:
        assert not led.created and led.ledger_id == lid


def test_newer_schema_and_garbage_file_are_refused(tmp_path):
    Ledger.open(tmp_path).close()
    conn = sqlite3.connect(tmp_path / LEDGER_NAME)
    conn.execute("UPDATE schema_version SET version=99")
    conn.commit()
    conn.close()
    with pytest.raises(WorkspaceError, match="升级"):
        Ledger.open(tmp_path)
    other = tmp_path / "x"
    other.mkdir()
    (other / LEDGER_NAME).write_bytes(b"not a database at all" * 100)
    with pytest.raises(WorkspaceError, match="不是 zwgk-xl 的台账"):
        Ledger.open(other)
    assert (other / LEDGER_NAME).read_bytes() == b"not a database at all" * 100  # never replaced


def test_archive_by_hash_once(tmp_path):
    src = tmp_path / "in" / "表.xlsx"
    src.parent.mkdir()
    src.write_bytes(b"content")
    with Ledger.open(tmp_path / "ws") as led:
        sha, archived = led.archive_file(src)
        assert archived.parent == tmp_path / "ws" / ARCHIVE_DIR and archived.read_bytes() == b"content"
        copy = tmp_path / "in" / "副本.xlsx"
        copy.write_bytes(b"content")
        assert led.archive_file(copy) == (sha, archived)
        assert len(list(archived.parent.iterdir())) == 1


def test_plans_rounds_and_superseding(tmp_path):
    plan = sample_plan()
    with Ledger.open(tmp_path) as led:
        led.store_plan("2021年第一季度", plan)
        led.ensure_round(ROUND)
        assert led.rounds() == ["2021年第一季度", ROUND]
        assert led.previous_round(ROUND) == "2021年第一季度"
        assert led.previous_round("2021年第一季度") is None
        back = led.plan_for_round("2021年第一季度")
        assert back == plan  # the whole tree round-trips
        assert led.plan_for_round(ROUND) is None
        assert led.latest_plan() == ("2021年第一季度", plan)

        def sub(sha, at, status):
            return Submission(ROUND, "县教育局", sha, f"{sha}.xlsx", at, "metadata", filler="李四",
                              values={"一.(2)": {"row": 6, "role": "牵头", "status": status, "progress": "已公开"}})

        first = led.store_submission(sub("aaa", "2021-07-01T09:00:00", "推进中"))
        assert led.store_submission(sub("aaa", "2021-07-01T09:00:00", "推进中")) == first  # idempotent
        second = led.store_submission(sub("bbb", "2021-07-02T09:00:00", "已完成"))
        subs = led.submissions(ROUND)
        assert [(s.id, s.superseded_by) for s in subs] == [(first, second), (second, None)]
        reports = led.latest_reports(ROUND)
        assert list(reports) == [("一.(2)", "县教育局")]
        rep = reports[("一.(2)", "县教育局")]
        assert (rep.status, rep.file, rep.filler, rep.submitted_at) == ("已完成", "bbb.xlsx", "李四",
                                                                        "2021-07-02T09:00:00")


def test_config_saved_with_a_bom_is_read(tmp_path):
    """Windows Notepad saves zwgk.toml with a byte-order mark; settings still apply."""
    from zwgk_xl.ledger.store import read_config
    from zwgk_xl.mail.config import load_config

    (tmp_path / "zwgk.toml").write_bytes('\ufeffunits = "部门名录.xlsx"\n[mail]\nhost = "smtp.example.cn"\n'.encode("utf-8"))
    assert read_config(tmp_path)["units"] == "部门名录.xlsx"
    assert load_config(tmp_path, env={}).host == "smtp.example.cn"


# ---------------------------------------------------------------------------
# Protection: a ledger is never replaced, a damaged one never written, a copy kept before each merge


def _merge_ws(tmp_path):
    from _merge_helpers import fill, issue_forms

    ws, forms = issue_forms(tmp_path)
    box = tmp_path / "回收"
    box.mkdir()
    fill(forms["县财政局"], box / "县财政局.xlsx", rows={"一.(1)": {"status": "已完成", "progress": "已公开"}})
    return ws, box


def test_empty_ledger_is_refused_never_rebuilt(tmp_path):
    from zwgk_xl.merge.command import run_merge

    ws, box = _merge_ws(tmp_path)
    (ws / LEDGER_NAME).unlink()
    for extra in ws.glob(LEDGER_NAME + "-*"):
        extra.unlink()
    (ws / LEDGER_NAME).write_bytes(b"")
    with pytest.raises(WorkspaceError, match=r"是空的（0 字节）.*台账\.sqlite\.bak"):
        run_merge(box, workspace=ws)
    assert (ws / LEDGER_NAME).stat().st_size == 0 and not list(ws.glob("汇总表*"))


def test_foreign_sqlite_file_is_refused_untouched(tmp_path):
    path = tmp_path / LEDGER_NAME
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(WorkspaceError, match="不是 zwgk-xl 的台账"):
        Ledger.open(tmp_path)
    assert path.read_bytes() == before


def test_read_only_ledger_says_read_only(tmp_path):
    import os
    import subprocess

    from zwgk_xl.merge.command import run_merge

    ws, box = _merge_ws(tmp_path)
    path = ws / LEDGER_NAME
    with Ledger.open(ws) as led:
        led.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = path.read_bytes()
    root = os.geteuid() == 0
    if root and subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("running as root without chattr")
    if not root:
        path.chmod(0o444)
    try:
        with pytest.raises(WorkspaceError, match="只读") as e:
            run_merge(box, workspace=ws)
        assert "OperationalError" not in str(e.value) and "备份" not in str(e.value)
    finally:
        if root:
            subprocess.run(["chattr", "-i", str(path)])
        path.chmod(0o644)
    assert path.read_bytes() == before


def test_damaged_ledger_is_not_written(tmp_path):
    from zwgk_xl.merge.command import merge_folder

    ws, box = _merge_ws(tmp_path)
    with Ledger.open(ws) as led:
        led.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        led.conn.execute("PRAGMA journal_mode=DELETE")
        size = led.conn.execute("PRAGMA page_size").fetchone()[0]
        root = led.conn.execute("SELECT rootpage FROM sqlite_master WHERE name='plans'").fetchone()[0]
    path = ws / LEDGER_NAME
    data = bytearray(path.read_bytes())
    start = (root - 1) * size
    data[start: start + 12] = b"\x0d\x00\x00\xff\xff\xff\x00\x00\x00\x00\x00\x00"  # the plans table's page header scribbled over
    path.write_bytes(bytes(data))
    with pytest.raises(WorkspaceError, match="损坏|无法打开"):
        with Ledger.open(ws) as led:
            merge_folder(box, led)
    assert not (ws / ARCHIVE_DIR).exists() or not any((ws / ARCHIVE_DIR).glob("*县财政局*"))


def test_backup_kept_before_each_merge_and_rotated(tmp_path):
    from zwgk_xl.merge.command import merge_folder

    ws, box = _merge_ws(tmp_path)
    with Ledger.open(ws) as led:
        first = merge_folder(box, led, workers=1)
    bak = ws / (LEDGER_NAME + ".bak")
    assert first.backup == str(bak) and bak.is_file()
    conn = sqlite3.connect(bak)
    assert conn.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 0  # the state before the merge
    conn.close()
    with Ledger.open(ws) as led:
        merge_folder(box, led, workers=1)
    conn = sqlite3.connect(bak)
    assert conn.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 1
    conn.close()
    assert (ws / (LEDGER_NAME + ".bak.1")).is_file()
    with Ledger.open(ws) as led:  # the backup opens as a ledger once copied back
        led.check()


@pytest.mark.parametrize("name", ["a" * 300 + ".xlsx", "关于报送" * 40 + ".xlsx", 'a<b>:c"d|e?f*.xlsx',
                                  "无扩展名" * 30, "x." + "长" * 50, "\udcc4\udce3\udcba\udcc3.xlsx"])
def test_archive_names_bounded_and_safe(tmp_path, name):
    from zwgk_xl.ledger.store import archive_name

    got = archive_name("0123456789abcdef" * 4, name)
    assert len(got.encode("utf-8")) <= 120 and got.startswith("0123456789ab-")
    assert not set('<>:"/\\|?*') & set(got[13:])
    if name.endswith(".xlsx"):
        assert got.endswith(".xlsx")
    (tmp_path / got).write_bytes(b"x")  # a name the file system takes


def test_one_as_of_date_per_round(tmp_path):
    """A round is judged as of its due date once that has passed, else today; an explicit date wins."""
    import datetime as dt

    with Ledger.open(tmp_path / "台账") as led:
        assert led.round_due("R") is None and led.as_of("R") == dt.date.today()
        led.set_round_due("R", "2020-12-25")
        assert led.round_due("R") == dt.date(2020, 12, 25) and led.as_of("R") == dt.date(2020, 12, 25)
        assert led.as_of("R", dt.date(2021, 1, 5)) == dt.date(2021, 1, 5)
        future = dt.date.today() + dt.timedelta(days=30)
        led.set_round_due("S", future.isoformat())
        assert led.as_of("S") == dt.date.today()
