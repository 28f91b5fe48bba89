"""merge: interrupted runs, the CLI (--json equals the library result, exit codes, quiet), progress."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest
from click.testing import CliRunner

from _merge_helpers import ROUND, fill, issue_forms, ledger_tables, set_mtime
from zwgk_xl.cli import main
from zwgk_xl.ledger.store import LEDGER_NAME, Ledger
from zwgk_xl.merge.command import merge_folder, run_merge

OK = {"status": "已完成", "progress": "已公开", "done_date": dt.datetime(2021, 6, 1)}
IDS = {"县财政局": ["一.(1)", "一.(3)"], "县教育局": ["一.(1)", "一.(2)", "一.(3)"], "县卫生健康局": ["一.(4)"]}


def returns(tmp_path, forms, extra: bool = True):
    """A folder with every unit's form, a second (newer) one of 县教育局 and a bad row in one."""
    box = tmp_path / "回收"
    box.mkdir(exist_ok=True)
    for n, (unit, path) in enumerate(forms.items()):
        rows = {t: dict(OK) for t in IDS[unit]}
        if unit == "县财政局" and extra:
            rows["一.(3)"] = {"status": "差不多了"}
        set_mtime(fill(path, box / f"{n}_{unit}.xlsx", rows=rows, fields={"filler": "某某"}), f"2021-07-0{n + 1}T08:00:00")
    if extra:
        again = fill(forms["县教育局"], box / "9_县教育局_更正.xlsx",
                     rows={t: dict(OK, progress="已公开(更正)") for t in IDS["县教育局"]},
                     fields={"filler": "某某"})
        set_mtime(again, "2021-07-09T08:00:00")
    return box


class Boom(BaseException):
    """An interruption (like Ctrl+C or a killed process), not an error of one file."""


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("where", ["after-file", "inside-file"])
def test_interrupted_merge_then_rerun_equals_uninterrupted(tmp_path, monkeypatch, where, workers):
    """Interrupted after two files, or inside the third, then run again: the ledger of one whole run.

    ``workers=2``: the files are read by a worker process and this one (in-process for the reference).
    """
    import zwgk_xl.merge.workers as merge_mod

    ws, forms = issue_forms(tmp_path / "a")
    box = returns(tmp_path, forms)
    ws_b = tmp_path / "b"
    shutil.copytree(ws, ws_b)  # the same ledger before merging, for the uninterrupted run
    with Ledger.open(ws_b) as led:
        merge_folder(box, led, workers=1)
    reference = ledger_tables(ws_b)
    monkeypatch.setattr(merge_mod, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(merge_mod, "CHUNK", 1)

    def fail_after_two(done, total, name):
        if done == 2:
            raise Boom(name)

    progress = None
    if where == "after-file":
        progress = fail_after_two
    else:  # a fault in the middle of storing the third file: its transaction must roll back
        import zwgk_xl.ledger.store as ledger_mod

        real = ledger_mod.Ledger.store_submission
        calls = []

        def flaky(self, data):
            calls.append(data.file_name)
            out = real(self, data)
            if len(calls) == 3:
                raise Boom(data.file_name)
            return out

        monkeypatch.setattr(ledger_mod.Ledger, "store_submission", flaky)
    with Ledger.open(ws) as led, pytest.raises(Boom):
        merge_folder(box, led, progress=progress, workers=workers)
    if where == "inside-file":
        monkeypatch.setattr(ledger_mod.Ledger, "store_submission", real)
    partial = ledger_tables(ws)
    assert 0 < len(partial["receipts"]) < len(reference["receipts"])
    assert len(partial["submissions"]) == 2  # the faulty file rolled back as a whole
    with Ledger.open(ws) as led:
        assert merge_folder(box, led, workers=workers).workers == (workers if workers > 1 else 0)
    assert ledger_tables(ws) == reference  # nothing lost, nothing duplicated


def test_cli_json_equals_library_result(tmp_path, monkeypatch):
    import shutil as _shutil

    ws, forms = issue_forms(tmp_path)
    box = returns(tmp_path, forms)
    out = tmp_path / "汇总表.xlsx"
    fresh = [tmp_path / f"台账{i}" for i in range(3)]  # each run on an untouched copy (a re-run reads nothing new)
    for copy in fresh:
        _shutil.copytree(ws, copy)
    lib = run_merge(box, workspace=fresh[0], output=out, workers=1).to_dict()
    res = CliRunner().invoke(main, ["merge", str(box), "-C", str(fresh[1]), "-o", str(out), "--json"])
    assert res.exit_code == 1 == lib["exit_code"]
    norm = lambda d: json.loads(json.dumps(d, ensure_ascii=False).replace(str(fresh[1]), str(fresh[0]))  # noqa: E731
                                .replace(str(fresh[2]), str(fresh[0])))
    assert norm(json.loads(res.stdout)) == lib
    monkeypatch.setattr("zwgk_xl.merge.workers.PARALLEL_MIN_FILES", 1)  # a worker process reads some of the 4 files
    res = CliRunner().invoke(main, ["merge", str(box), "-C", str(fresh[2]), "-o", str(out), "--json", "--workers", "2"])
    assert norm(json.loads(res.stdout)) == lib
    assert CliRunner().invoke(main, ["merge", str(box), "-C", str(ws), "--workers", "0"]).exit_code == 2
    assert lib["totals"] == {"files": 4, "accepted": 4, "rejected": 0, "attached": 0, "unpacked": 0, "skipped": 0, "new": 4, "unchanged": 0,
                              "errors": 0, "warnings": 3, "notes": 0, "units_submitted": 3, "units_missing": 0}
    assert [f["type"] for f in lib["findings"]] == ["invalid-status", "required-empty", "duplicate-submission"]


def test_a_long_list_of_findings_is_cut_short_and_counted_by_kind(tmp_path, monkeypatch):
    """A round with hundreds of findings lists the most severe few and counts the rest by kind, pointing to
    the master's 问题清单; --json still gives them all."""
    from zwgk_xl.core import findings as fk

    ws, forms = issue_forms(tmp_path)
    box = returns(tmp_path, forms)
    monkeypatch.setattr(fk, "LISTED", 2)
    res = CliRunner().invoke(main, ["merge", str(box), "-C", str(ws), "-o", str(tmp_path / "汇总表.xlsx")])
    lines = res.output.splitlines()
    assert res.exit_code == 1 and sum(line.startswith("[警告]") for line in lines) == 2
    assert "……另有 1 条未列出（全部见汇总表的“问题清单”页）：重复报送 1 条。" in lines
    res = CliRunner().invoke(main, ["merge", str(box), "-C", str(ws), "-o", str(tmp_path / "汇总表.xlsx"), "--json"])
    assert len(json.loads(res.stdout)["findings"]) == 3
    infos = [fk.finding("row-continued", "续"), fk.finding("invalid-status", "状态"), fk.finding("row-continued", "续"),
             fk.finding("required-empty", "空")]
    shown, left = fk.brief(infos, 2)
    assert [f.message for f in shown] == ["状态", "空"] and left == [("续写在下一行", 2)]
    assert fk.brief(infos, 4) == (infos, [])


def test_a_rerun_reads_nothing_new_and_changes_nothing(tmp_path):
    """Incremental merge: files merged before (same name, time and content, same plan) are not read again;
    the ledger stays as it was and the master is not rewritten; a new file costs only itself."""
    import shutil as _shutil

    ws, forms = issue_forms(tmp_path)
    box = returns(tmp_path, forms)
    out = tmp_path / "汇总表.xlsx"
    first = run_merge(box, workspace=ws, output=out, workers=1)
    tables, written = ledger_tables(ws), out.stat().st_mtime_ns
    again = run_merge(box, workspace=ws, output=out, workers=1)
    assert again.unchanged == len(again.files) == 4 and not again.master_written
    assert ledger_tables(ws) == tables and out.stat().st_mtime_ns == written
    assert [(f.file, f.outcome, f.unit) for f in again.files] == [(f.file, f.outcome, f.unit) for f in first.files]
    assert sorted((f.type, f.unit) for f in again.findings) == sorted((f.type, f.unit) for f in first.findings)
    assert "没有变化" in "\n".join(again.details())
    _shutil.copy(forms["县卫生健康局"], box / "县卫生健康局_补报.xlsx")  # one more file arrives
    more = run_merge(box, workspace=ws, output=out, workers=1)
    assert more.unchanged == 4 and len(more.files) == 5 and more.master_written
    assert out.stat().st_mtime_ns != written


def test_cli_clean_quiet_exit_zero_finds_ledger_upward(tmp_path, monkeypatch):
    ws, forms = issue_forms(tmp_path)
    box = returns(tmp_path, forms, extra=False)
    (ws / "子文件夹").mkdir()
    monkeypatch.chdir(ws / "子文件夹")
    res = CliRunner().invoke(main, ["merge", str(box), "-q"])
    assert res.exit_code == 0, res.output
    assert res.output.count("\n") == 1 and "已报送 3/3 个单位" in res.output
    assert (ws / f"汇总表_{ROUND}.xlsx").is_file() and not (ws / "子文件夹" / LEDGER_NAME).exists()


def test_cli_says_when_it_creates_the_ledger(tmp_path, monkeypatch):
    _, forms = issue_forms(tmp_path)
    box = returns(tmp_path, forms, extra=False)
    here = tmp_path / "空文件夹"
    here.mkdir()
    monkeypatch.chdir(here)
    res = CliRunner().invoke(main, ["merge", str(box)])
    assert res.exit_code == 2  # no plan anywhere yet: a usage error, in Chinese, and nothing created
    assert "请用 --plan 指定分解表" in res.output
    assert not (here / LEDGER_NAME).exists()


def test_cli_usage_errors(tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["merge", str(tmp_path / "没有这个文件夹"), "-C", str(tmp_path)])
    assert res.exit_code == 2 and "找不到回收文件夹" in res.output
    (tmp_path / "回收").mkdir()
    res = runner.invoke(main, ["merge", str(tmp_path / "回收"), "-C", str(tmp_path)])
    assert res.exit_code == 2 and "请用 --plan 指定分解表" in res.output
    res = runner.invoke(main, ["merge", str(tmp_path / "回收"), "-C", str(tmp_path), "--round", ROUND,
                               "--plan", str(tmp_path / "无.xlsx")])
    assert res.exit_code == 2 and "找不到分解表" in res.output and "无.xlsx" in res.output
    assert not (tmp_path / LEDGER_NAME).exists()


def test_progress_callback_and_human_output(tmp_path):
    ws, forms = issue_forms(tmp_path)
    box = returns(tmp_path, forms)
    seen = []
    run_merge(box, workspace=ws, output=tmp_path / "m.xlsx", progress=lambda d, t, n: seen.append((d, t, n)))
    assert seen == [(1, 4, "0_县财政局.xlsx"), (2, 4, "1_县教育局.xlsx"), (3, 4, "2_县卫生健康局.xlsx"),
                    (4, 4, "9_县教育局_更正.xlsx")]
    res = CliRunner().invoke(main, ["merge", str(box), "-C", str(ws), "-o", str(tmp_path / "m.xlsx")])
    assert res.exit_code == 1
    assert "[警告] 县财政局 0_县财政局.xlsx 填报表 F7：任务 一.(3) 的「完成状态」填写为「差不多了」" in res.output
    assert "县教育局报送了多份" in res.output


def test_cli_creates_ledger_from_plan_file_then_reuses_the_plan(tmp_path, monkeypatch):
    from _merge_helpers import sample_plan
    from zwgk_xl.forms.writer import write_forms
    from zwgk_xl.decompose.plan import read_plan, write_plan

    plan_path = write_plan(sample_plan(), tmp_path / "分解表.xlsx")
    infos = write_forms(read_plan(plan_path), None, ROUND, "2021-07-05", tmp_path / "下发")
    box = returns(tmp_path, {i.unit: i.path for i in infos}, extra=False)
    office = tmp_path / "办公室"
    office.mkdir()
    monkeypatch.chdir(office)
    res = CliRunner().invoke(main, ["merge", str(box), "--plan", str(plan_path)])
    assert res.exit_code == 0, res.output
    assert f"未找到台账，已在 {office} 新建台账" in res.output
    with Ledger.open(office) as led:
        assert [t.id for t in led.plan_for_round(ROUND).tasks] == ["一.(1)", "一.(2)", "一.(3)", "一.(4)"]
        assert len(led.submissions(ROUND)) == 3
    res = CliRunner().invoke(main, ["merge", str(box)])
    assert res.exit_code == 0 and f"分解表：台账中{ROUND}的分解表" in res.output and "新建台账" not in res.output


def test_same_answers_sent_twice_is_only_a_note(tmp_path):
    """A form re-saved or mailed twice with the same answers is not a conflicting resubmission."""
    ws, forms = issue_forms(tmp_path)
    box = returns(tmp_path, forms, extra=False)
    first = next(box.glob("*县卫生健康局.xlsx"))
    again = fill(forms["县卫生健康局"], box / "县卫生健康局_再次发送.xlsx",
                 rows={t: dict(OK) for t in IDS["县卫生健康局"]}, fields={"filler": "某某"})
    from openpyxl import load_workbook

    wb = load_workbook(again)
    wb.properties.title = "再次发送"  # re-saved: other bytes, same answers
    wb.save(again)
    set_mtime(again, "2021-07-20T08:00:00")
    assert again.read_bytes() != first.read_bytes()
    with Ledger.open(ws) as ledger:
        result = merge_folder(box, ledger, workers=1)
    kinds = {(f.type, f.severity) for f in result.findings if f.unit == "县卫生健康局"}
    assert ("resubmitted-same", "info") in kinds
    assert not any(t == "duplicate-submission" for t, _ in kinds)


def test_a_rerun_keeps_the_masters_own_findings(tmp_path):
    """A lead answering 不涉及 is a finding the master adds; an unchanged re-run does not rebuild the master
    but reports the same findings."""
    ws, forms = issue_forms(tmp_path)
    box = tmp_path / "回收"
    box.mkdir()
    for unit, path in forms.items():
        fill(path, box / f"{unit}.xlsx", rows={t: dict(OK, status="不涉及") for t in IDS[unit]},
             fields={"filler": "某某"})
    out = tmp_path / "汇总表.xlsx"
    first = run_merge(box, workspace=ws, output=out, workers=1)
    again = run_merge(box, workspace=ws, output=out, workers=1)
    mine = lambda r: sorted((f.type, f.unit, f.message) for f in r.findings if f.type == "lead-not-applicable")  # noqa: E731
    assert mine(first) and mine(again) == mine(first) and not again.master_written
