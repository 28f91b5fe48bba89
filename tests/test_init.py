"""``zwgk-xl init 台账`` sets up a 台账 folder; inside it the CLI needs no -C and no --units."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from zwgk_xl.cli import main
from zwgk_xl.core.units import sample_directory_path
from zwgk_xl.ledger import store
from zwgk_xl.ledger.settings import load_settings
from zwgk_xl.ledger.workbooks import layout as L

from test_addin import fill_form  # noqa: E402 - tests/ is on sys.path (pytest rootdir)

SAMPLE = Path(__file__).resolve().parents[1] / "zwgk_xl" / "data" / "示例_2020年云南省政务公开工作要点.txt"
ROUND, DUE = "2020年第四季度", "2020-12-25"


def _cli(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    root = tmp_path_factory.mktemp("init")
    result = _cli("init", root / "台账")
    assert result.exit_code == 0, result.output
    return root / "台账", result.output


def test_init_makes_the_folder(ledger):
    folder, output = ledger
    for name in [*L.SUBFOLDERS, "templates"]:
        assert (folder / name).is_dir(), name
    assert (folder / "templates" / "报告模板.docx").is_file()
    assert (folder / "templates" / "mail_send_body.txt").is_file()
    config = store.tomllib.loads((folder / "zwgk.toml").read_text(encoding="utf-8"))
    assert config["units"] == "部门名录.xlsx" and config["level"] == "县"
    settings = load_settings(folder)
    assert settings.units_path() == folder / "部门名录.xlsx" and settings.organ == "X县人民政府办公室"
    assert (folder / "部门名录.xlsx").read_bytes() == sample_directory_path("county").read_bytes()
    # The workbook shows the sample directory on 部门名录, read back by a second reader.
    wb = load_workbook(folder / L.WORKBOOK_NAME, keep_vba=True)
    shown = [[c.value for c in row] for row in wb[L.UNITS].iter_rows(min_row=L.FIRST_ROW)]
    source = load_workbook(sample_directory_path("county"))["部门名录"]
    expected = [[c.value for c in row] for row in source.iter_rows(min_row=2)]
    assert [r[0] for r in shown] == [r[0] for r in expected] and len(shown) == 50
    assert shown[0][5] == expected[0][5]  # 邮箱
    assert output.strip().splitlines()[-1].startswith(f"台账文件夹「{folder}」已就绪：新建 ")


def test_init_again_keeps_what_is_there_and_force_rebuilds_only_the_workbook(tmp_path):
    folder = tmp_path / "台账"
    assert _cli("init", folder).exit_code == 0
    (folder / "zwgk.toml").write_text('units = "我的名录.xlsx"\n', encoding="utf-8")
    again = _cli("init", folder, "--json")
    assert again.exit_code == 0
    import json

    data = json.loads(again.output)
    assert data["command"] == "init" and data["created"] == [] and "zwgk.toml" in data["kept"]
    assert L.WORKBOOK_NAME in data["kept"]
    assert (folder / "zwgk.toml").read_text(encoding="utf-8") == 'units = "我的名录.xlsx"\n'
    forced = json.loads(_cli("init", folder, "--force", "--json").output)
    assert forced["created"] == [L.WORKBOOK_NAME] and forced["backup"] == "zwgk_xl.bak.xlsm"
    assert (folder / "zwgk_xl.bak.xlsm").is_file()
    assert (folder / "zwgk.toml").read_text(encoding="utf-8") == 'units = "我的名录.xlsx"\n'


def test_init_refuses_a_file(tmp_path):
    f = tmp_path / "台账"
    f.write_text("x", encoding="utf-8")
    result = _cli("init", f)
    assert result.exit_code == 2
    assert result.output.startswith("错误：台账文件夹「") and "是一个文件" in result.output


def test_the_cli_flow_inside_the_folder_needs_no_workspace_or_units(ledger, monkeypatch):
    folder, _ = ledger
    monkeypatch.chdir(folder)
    for var in ("ZWGK_UNITS", "ZWGK_AREA", "ZWGK_LEVEL", "ZWGK_ORGAN", "ZWGK_MAIL_CONTACT"):
        monkeypatch.delenv(var, raising=False)
    src = Path(L.SUPERIOR_DIR) / SAMPLE.name
    src.write_bytes(SAMPLE.read_bytes())

    r = _cli("parse", src, "-o", "上级任务.xlsx")
    assert r.exit_code in (0, 1), r.output
    assert "18 项任务" in r.output and Path("上级任务.xlsx").is_file()
    r = _cli("decompose", src, "-o", "分解表.xlsx")  # 部门名录 from zwgk.toml
    assert r.exit_code in (0, 1), r.output
    assert Path("分解表.xlsx").is_file()
    r = _cli("split", "分解表.xlsx", "--round", ROUND, "--due", DUE, "-o", L.FORMS_DIR)
    assert r.exit_code in (0, 1), r.output
    forms = sorted(Path(L.FORMS_DIR).glob("*.xlsx"))
    assert len(forms) == 50 and f"已在台账（{folder.resolve()}）登记本轮分解表" in r.output
    # The contact line of zwgk.toml reached the forms.
    assert "县政府办公室 张三 0878-1234567" in str([c.value for row in load_workbook(forms[0]).active.iter_rows()
                                                 for c in row])
    r = _cli("mail", "send", L.FORMS_DIR, "--dry-run", L.DRY_RUN_SEND_DIR)
    assert r.exit_code in (0, 1), r.output
    assert len(list(Path(L.DRY_RUN_SEND_DIR).glob("*.eml"))) == 50
    for k, form in enumerate(forms[:6]):
        fill_form(form, Path(L.RETURNS_DIR) / form.name, k)
    r = _cli("merge", L.RETURNS_DIR)
    assert r.exit_code in (0, 1), r.output
    assert f"{ROUND}：6 个文件，采用 6" in r.output and "已报送 6/50 个单位" in r.output
    r = _cli("report")
    assert r.exit_code in (0, 1), r.output
    assert Path(f"落实情况报告_{ROUND}.docx").is_file()
    r = _cli("mail", "remind", "--dry-run", L.DRY_RUN_REMIND_DIR)
    assert r.exit_code in (0, 1), r.output
    assert len(list(Path(L.DRY_RUN_REMIND_DIR).glob("*.eml"))) >= 44
