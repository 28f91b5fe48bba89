"""Every generated output kind against its golden file, named after its input (see tests/_golden.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

import _golden
from zwgk_xl.core.units import sample_directory_path

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = {p.name[:3]: p for p in sorted(FIXTURES.glob("00*.txt"))}
Q4 = "2020年第四季度"


@pytest.mark.parametrize("seed", [s for s in sorted(SEEDS) if s != "003"])
def test_parse_json(seed):
    from zwgk_xl.parse.command import run_parse

    d = run_parse(SEEDS[seed]).to_dict()
    d["input"] = Path(d["input"]).name
    _golden.check(f"parse_seed{seed}", d)


def test_seed_003_is_refused_as_a_report():
    """Seed 003 is a 落实情况 report, not a task list: one message saying so, no invented tasks."""
    from zwgk_xl.core.errors import NotATaskList
    from zwgk_xl.parse.command import run_parse

    with pytest.raises(NotATaskList, match="落实情况"):
        run_parse(SEEDS["003"])


def test_task_table(tmp_path):
    from zwgk_xl.parse.command import run_parse

    run_parse(SEEDS["004"], output=tmp_path / "上级任务.xlsx")
    _golden.check("tasktable_seed004", _golden.describe_xlsx(tmp_path / "上级任务.xlsx"))


@pytest.mark.parametrize("seed, kind", [("004", "county"), ("000", "bureau")])
def test_plan(seed, kind, tmp_path):
    from zwgk_xl.decompose.command import run_decompose

    out = tmp_path / "分解表.xlsx"
    run_decompose(SEEDS[seed], units=sample_directory_path(kind), output=out, level="局" if kind == "bureau" else "县")
    _golden.check(f"plan_seed{seed}_{kind}", _golden.describe_xlsx(out))


def _demo_form(folder: Path, unit: str) -> Path:
    return next((folder / "下发" / Q4).glob(f"*_{unit}_落实情况填报表.xlsx"))


@pytest.mark.parametrize("unit", ["县财政局", "县人民政府办公室"])
def test_demo_form(demo, unit):
    folder, _ = demo
    _golden.check(f"form_demo_{unit}", _golden.describe_xlsx(_demo_form(folder, unit)))


def test_demo_master(demo):
    folder, _ = demo
    _golden.check("master_demo_2020Q4", _golden.describe_xlsx(folder / f"汇总表_{Q4}.xlsx"))


def test_demo_report_and_statistics(demo):
    folder, _ = demo
    _golden.check("report_demo_2020Q4", _golden.describe_docx(folder / f"落实情况报告_{Q4}.docx"))
    _golden.check("stats_demo_2020Q4", _golden.describe_xlsx(folder / f"落实情况报告_{Q4}_统计.xlsx"))


def test_demo_mails(demo):
    folder, _ = demo
    sent = sorted((folder / "待发邮件" / Q4).glob("*县财政局*.eml"))
    _golden.check("eml_send_demo_县财政局", _golden.describe_eml(sent[0]))
    reminders = sorted((folder / "催报邮件").glob("*.eml"))
    assert reminders
    _golden.check("eml_remind_demo_first", _golden.describe_eml(reminders[0]))


def test_golden_check_fails_on_a_difference(tmp_path, monkeypatch):
    """The comparison must be able to fail, or every golden test above proves nothing."""
    monkeypatch.setattr(_golden, "GOLDEN", tmp_path)
    monkeypatch.setenv("ZWGK_NEW_GOLDEN", "1")
    _golden.check("x", {"a": 1})
    monkeypatch.delenv("ZWGK_NEW_GOLDEN")
    _golden.check("x", {"a": 1})
    with pytest.raises(AssertionError, match="differs"):
        _golden.check("x", {"a": 2})
    assert _golden.scrub("id 0123abcd-0000-4000-8000-0123456789ab at /tmp/pytest-1/x.xlsx") == "id <uuid> at <tmp>"
