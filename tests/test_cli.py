"""The CLI renders library results: --json equals the library's to_dict(), exit codes mean the same everywhere."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from _decompose_helpers import SEED_004
from zwgk_xl.cli import main
from zwgk_xl.core.units import sample_directory_path
from zwgk_xl.decompose.command import run_decompose
from zwgk_xl.forms.command import run_split
from zwgk_xl.parse.command import run_parse

ROUND, DUE = "2020年第四季度", "2020-12-25"


def _invoke(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("plan") / "分解表.xlsx"
    run_decompose(SEED_004, units=sample_directory_path("county"), output=path)
    return path


def test_parse_json_equals_the_library_result(tmp_path):
    res = _invoke("parse", SEED_004, "--json")
    lib = run_parse(SEED_004).to_dict()
    assert json.loads(res.stdout) == lib
    assert res.exit_code == lib["exit_code"] == 1  # seed 004 carries noise findings
    assert lib["command"] == "parse" and len(lib["document"]["tasks"]) == 18
    assert {f["type"] for f in lib["findings"]} >= {"parse-noise", "parse-traditional"}


def test_decompose_json_equals_the_library_result(tmp_path):
    units = sample_directory_path("county")
    res = _invoke("decompose", SEED_004, "--units", units, "-o", tmp_path / "a.xlsx", "--json")
    lib = run_decompose(SEED_004, units=units, output=tmp_path / "b.xlsx").to_dict()
    data = json.loads(res.stdout)
    assert data["output"].endswith("a.xlsx") and lib["output"].endswith("b.xlsx")
    for d in (data, lib):
        d["summary"] = d["summary"].replace(d["output"], "")
        d["output"] = ""
    assert data == lib and res.exit_code == lib["exit_code"]
    assert lib["command"] == "decompose" and len(lib["document"]["tasks"]) == 18


def test_split_json_equals_the_library_result(plan_file, tmp_path):
    units = sample_directory_path("county")
    res = _invoke("split", plan_file, "--units", units, "--round", ROUND, "--due", DUE, "-o", tmp_path / "a",
                  "--no-ledger", "--json")
    lib = run_split(plan_file, units=units, round=ROUND, due=DUE, output=tmp_path / "a", use_ledger=False).to_dict()
    assert json.loads(res.stdout) == lib and res.exit_code == lib["exit_code"] == 0
    assert lib["command"] == "split" and len(lib["forms"]) == 50


def test_every_result_has_the_same_protocol(plan_file, tmp_path):
    for result in (run_parse(SEED_004), run_split(plan_file, units=sample_directory_path("county"), round=ROUND,
                                                   due=DUE, output=tmp_path / "f", use_ledger=False)):
        d = result.to_dict()
        assert list(d)[:5] == ["command", "valid", "exit_code", "summary", "counts"] and "findings" in d
        assert d["valid"] == (d["exit_code"] == 0) == (d["counts"]["errors"] + d["counts"]["warnings"] == 0)
        assert isinstance(result.summary(), str) and "。" in result.summary()


def test_decompose_summary_and_errors(plan_file, tmp_path):
    units = sample_directory_path("county")
    out = tmp_path / "分解表.xlsx"
    res = _invoke("decompose", SEED_004, "--units", units, "-o", out)
    assert res.exit_code in (0, 1) and "18 项任务" in res.stdout and out.is_file()
    shutil.copy(plan_file, out)
    res = _invoke("decompose", out, "--units", units, "-o", out)  # writing over the input is refused
    assert res.exit_code == 2 and "不能与输入文件相同" in res.stderr
    res = _invoke("decompose", out, "--units", tmp_path / "无.xlsx", "-o", tmp_path / "x.xlsx")
    assert res.exit_code == 2 and "找不到部门名录" in res.stderr and "Traceback" not in res.output
    res = _invoke("decompose", out, "--units", units)
    assert res.exit_code == 2 and "-o" in res.stderr


def test_units_come_from_zwgk_toml_when_not_given(plan_file, tmp_path, monkeypatch):
    ws = tmp_path / "台账"
    ws.mkdir()
    shutil.copy(sample_directory_path("county"), ws / "名录.xlsx")
    (ws / "zwgk.toml").write_text('units = "名录.xlsx"\n', encoding="utf-8")
    monkeypatch.chdir(ws)
    res = _invoke("split", plan_file, "--round", ROUND, "--due", DUE, "-o", "下发", "--no-ledger")
    assert res.exit_code == 0, res.output
    assert len(list((ws / "下发").glob("*.xlsx"))) == 50


def test_contact_from_the_environment_reaches_the_form(plan_file, tmp_path, monkeypatch):
    from python_calamine import CalamineWorkbook

    monkeypatch.setenv("ZWGK_MAIL_CONTACT", "县政府办公室 李四 0878-7654321")
    result = run_split(plan_file, units=sample_directory_path("county"), round=ROUND, due=DUE,
                       output=tmp_path / "下发", use_ledger=False)
    rows = CalamineWorkbook.from_path(str(result.forms[0].path)).get_sheet_by_index(0).to_python()
    assert any("李四 0878-7654321" in str(c) for row in rows for c in row)


@pytest.mark.parametrize("due", ["明天", "6月25日", "2021-02-30", "2021-13-01", ""])
def test_a_due_date_that_is_not_a_date_is_refused_before_anything_is_written(plan_file, tmp_path, due):
    res = _invoke("split", plan_file, "--units", sample_directory_path("county"), "--round", ROUND, "--due", due,
                  "-o", tmp_path / "下发", "-C", tmp_path)
    assert res.exit_code == 2 and res.stderr.startswith("错误：") and "--due" in res.stderr
    assert not (tmp_path / "下发").exists() and not (tmp_path / "台账.sqlite").exists()


@pytest.mark.parametrize("due, iso", [("2021-06-25", "2021-06-25"), ("2021/6/25", "2021-06-25"),
                                      ("2021年6月25日", "2021-06-25")])
def test_due_dates_in_the_usual_forms(due, iso):
    from zwgk_xl.core.values import user_date

    assert user_date(due).isoformat() == iso


@pytest.mark.parametrize("args, words", [
    (["split"], ["缺少参数", "分解表"]),
    (["split", "x.xlsx", "--round", "R"], ["缺少选项", "--due"]),
    (["parse", "x.txt", "--bogus"], ["没有选项", "--bogus"]),
    (["decompose", "x.txt", "--level", "省"], ["--level", "可选"]),
    (["nosuch"], ["没有命令", "nosuch"]),
    (["merge", "x", "--workers", "0"], ["--workers", "数字"]),
    (["mail", "fetch", "--since", "昨天"], ["--since", "日期"]),
])
def test_click_usage_errors_are_one_chinese_line(args, words):
    res = _invoke(*args)
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：") and all(w in lines[0] for w in words), res.stderr
    assert "Error" not in res.output and "Usage" not in res.output


def test_an_empty_round_is_a_usage_error_and_creates_nothing(plan_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = _invoke("split", plan_file, "--units", sample_directory_path("county"), "--round", " ", "--due", DUE,
                  "-o", "下发")
    assert res.exit_code == 2 and "轮次" in res.stderr
    assert not any(tmp_path.iterdir())


def test_an_output_folder_that_is_a_file_is_named(plan_file, tmp_path):
    target = tmp_path / "下发"
    target.write_text("x")
    res = _invoke("split", plan_file, "--units", sample_directory_path("county"), "--round", ROUND, "--due", DUE,
                  "-o", target, "--no-ledger")
    assert res.exit_code == 2 and "是一个文件" in res.stderr and "下发" in res.stderr
    res = _invoke("parse", SEED_004, "-o", tmp_path)
    assert res.exit_code == 2 and "是一个文件夹" in res.stderr and "发生意外问题" not in res.stderr


def _without(d: dict, *paths) -> dict:
    """``d`` with the given folder paths and the Message-IDs removed (each run writes its own)."""
    text = json.dumps(d, ensure_ascii=False)
    for p in paths:
        text = text.replace(str(p), "<out>")
    out = json.loads(text)
    for item in out.get("items", []):
        item.pop("message_id", None)
    return out


def test_mail_send_and_remind_json_equal_the_library_results(demo, tmp_path):
    from zwgk_xl.mail.commands import run_remind, run_send

    folder, _ = demo
    forms, units = folder / "下发" / "2020年第四季度", folder / "部门名录.xlsx"
    res = _invoke("mail", "send", forms, "--units", units, "--dry-run", tmp_path / "a", "-C", folder, "--json",
                  env={"ZWGK_SMTP_HOST": ""})
    lib = run_send(forms, units=units, workspace=folder, dry_run=tmp_path / "b").to_dict()
    assert _without(json.loads(res.stdout), tmp_path / "a") == _without(lib, tmp_path / "b")
    assert res.exit_code == lib["exit_code"] and lib["command"] == "mail-send" and lib["by_status"]
    res = _invoke("mail", "remind", "--round", "2020年第四季度", "--dry-run", tmp_path / "c", "-C", folder, "--json")
    lib = run_remind(workspace=folder, round="2020年第四季度", dry_run=tmp_path / "d").to_dict()
    assert _without(json.loads(res.stdout), tmp_path / "c") == _without(lib, tmp_path / "d")
    assert res.exit_code == lib["exit_code"] and lib["command"] == "mail-remind"


def test_decompose_learn_is_wired_to_the_library(plan_file, tmp_path):
    units = tmp_path / "部门名录.xlsx"
    shutil.copy(sample_directory_path("county"), units)
    res = _invoke("decompose", plan_file, "--units", units, "--learn", "--json")
    data = json.loads(res.stdout)
    assert data["command"] == "decompose-learn" and res.exit_code == data["exit_code"] == 0
    assert not data["mappings"] and not list(tmp_path.glob("*备份*"))  # an unedited plan teaches nothing


def test_decompose_keeps_the_plan_it_replaces(plan_file, tmp_path):
    """The clerk may have edited the 分解表: writing a new one keeps the old beside it, from either front end."""
    out = tmp_path / "分解表.xlsx"
    shutil.copy(plan_file, out)
    before = out.read_bytes()
    res = _invoke("decompose", SEED_004, "--units", sample_directory_path("county"), "-o", out)
    assert res.exit_code in (0, 1) and (tmp_path / "分解表.bak.xlsx").read_bytes() == before
