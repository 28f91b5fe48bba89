"""Build the two sample 部门名录 workbooks shipped in ``zwgk_xl/data/``.

The ``.xlsx`` files next to this script are generated from the data below;
edit the data here and re-run::

    python -m zwgk_xl.data.build_samples

The names are real county-level unit names of a Yunnan county (楚雄州 X县)
and the 科室 of 楚雄市文化和旅游局 (seed document 000); contacts, phones and
mail addresses are invented.
"""

from __future__ import annotations

import datetime as _dt
import sys
from pathlib import Path

from zwgk_xl.core.atomic import atomic_path

HERE = Path(__file__).resolve().parent

UNIT_HEADERS = ["单位名称", "简称/别名", "类别", "联系人", "电话", "邮箱", "对口上级单位", "职能关键词", "排除关键词"]

# Local functional keywords beyond the shipped table (zwgk_xl/decompose/topics.py), by unit.
FUNCTION_KEYWORDS = {
    "县供销合作社联合社": "电子商务进农村、农村综合改革",
}

# name, aliases, category, superior keywords (units this one takes over)
COUNTY_UNITS = [
    ("县人民政府办公室", "县政府办、县政府办公室", "部门", "政务公开办公室、政务公开办"),
    ("县发展和改革局", "县发改局", "部门", "粮食和物资储备局、能源局"),
    ("县教育体育局", "县教体局", "部门", "教育厅、教育局、体育局"),
    ("县工业商务和信息化局", "县工信商务局、县工商信局", "部门", "工业和信息化厅、工信局、商务厅、商务局、科技厅、科学技术局、大数据局"),
    ("县民族宗教事务局", "县民宗局", "部门", "民族宗教事务委员会、民宗委"),
    ("县公安局", "", "部门", ""),
    ("县民政局", "", "部门", ""),
    ("县司法局", "", "部门", "法制办、依法治省办"),
    ("县财政局", "", "部门", "地方金融监管局、金融办、国有资产监督管理委员会、国资委"),
    ("县人力资源和社会保障局", "县人社局", "部门", ""),
    ("县自然资源局", "", "部门", "国土资源厅"),
    ("楚雄州生态环境局X县分局", "县生态环境分局、生态环境分局", "部门", "生态环境厅、生态环境局"),
    ("县住房和城乡建设局", "县住建局", "部门", ""),
    ("县交通运输局", "县交运局", "部门", ""),
    ("县农业农村局", "县农业局", "部门", "农业农村厅、畜牧兽医局"),
    ("县水务局", "", "部门", "水利厅、水利局"),
    ("县林业和草原局", "县林草局", "部门", "林草局"),
    ("县文化和旅游局", "县文旅局", "部门", "文化和旅游厅、广播电视局"),
    ("县卫生健康局", "县卫健局", "部门", "卫生计生委、卫生和计划生育委员会"),
    ("县退役军人事务局", "县退役军人局", "部门", ""),
    ("县应急管理局", "县应急局", "部门", ""),
    ("县审计局", "", "部门", ""),
    ("县市场监督管理局", "县市场监管局", "部门", "药品监督管理局、药监局、知识产权局"),
    ("县统计局", "", "部门", ""),
    ("县医疗保障局", "县医保局", "部门", ""),
    ("县乡村振兴局", "县扶贫办", "部门", "扶贫办、扶贫开发领导小组办公室"),
    ("县政务服务管理局", "县政务服务局、县政务服务中心", "部门", "大数据中心"),
    ("县信访局", "", "部门", ""),
    ("县综合行政执法局", "县城管局", "部门", "城市管理局、综合行政执法局、住房城乡建设厅(城管)"),
    ("县机关事务管理局", "县机关事务局", "部门", ""),
    ("县档案馆", "县档案局", "部门", ""),
    ("县融媒体中心", "", "部门", "新闻出版广电局"),
    ("县供销合作社联合社", "县供销社", "部门", "供销合作社"),
    ("县公共资源交易中心", "", "部门", "公共资源交易管理局"),
    ("县地震局", "县防震减灾局", "部门", ""),
    ("县残疾人联合会", "县残联", "部门", "残疾人联合会、残联"),
    ("国家税务总局X县税务局", "县税务局", "部门", "税务局"),
    ("县气象局", "", "部门", ""),
    ("县消防救援大队", "", "部门", "消防救援总队、消防救援支队"),
    ("县住房公积金管理中心", "县公积金中心", "部门", ""),
    ("城关镇人民政府", "城关镇", "乡镇街道", ""),
    ("龙泉镇人民政府", "龙泉镇", "乡镇街道", ""),
    ("金山镇人民政府", "金山镇", "乡镇街道", ""),
    ("白石镇人民政府", "白石镇", "乡镇街道", ""),
    ("马街镇人民政府", "马街镇", "乡镇街道", ""),
    ("平坝镇人民政府", "平坝镇", "乡镇街道", ""),
    ("青松乡人民政府", "青松乡", "乡镇街道", ""),
    ("云台乡人民政府", "云台乡", "乡镇街道", ""),
    ("石门彝族乡人民政府", "石门乡", "乡镇街道", ""),
    ("东城街道办事处", "东城街道", "乡镇街道", ""),
]

COUNTY_GROUPS = [
    ("县直各部门", "部门", "", "省直有关部门;省直各部门;州直有关部门;州直各部门;市直各部门;市政府各部门;"
     "县直各部门;县直有关部门;各有关部门;有关部门;各部门;各相关部门;按照职责分工负责"),
    ("各乡镇(街道)", "乡镇街道", "", "各州、市人民政府;各州市人民政府;各县区;各县、区;各县(市、区);"
     "各县(市、区)人民政府;各县市区;各镇街;各乡镇;各乡镇(街道);各乡镇人民政府;各街道;各地"),
]

COUNTY_MAPPINGS = [
    ("省委网信办", "县人民政府办公室", "县委网信办不在名录中，由县政府办对接"),
    ("省通信管理局", "县工业商务和信息化局", "本县无通信管理机构"),
    ]

BUREAU_UNITS = [
    ("局办公室", "办公室、综合科", "科室", "政府办公室、办公室"),
    ("组织人事科", "人事科、组织人事股", "科室", "组织部、人力资源和社会保障局、扶贫办"),
    ("行业管理科", "行业管理股", "科室", ""),
    ("公共服务科", "公共服务股", "科室", ""),
    ("产业发展科", "产业发展股", "科室", "发展和改革局"),
    ("财务室", "财务科、财务股", "科室", "财政局"),
    ("执法大队", "综合行政执法队、文化市场综合行政执法大队", "科室", "市场监督管理局"),
    ("市文化馆", "文化馆", "下属单位", ""),
    ("市图书馆", "图书馆", "下属单位", ""),
    ("市博物馆", "博物馆", "下属单位", "文物局"),
]

BUREAU_GROUPS = [
    ("各科室", "科室", "", "各科室;局机关各科室;机关各科室;各股室;相关科室;有关科室;市政府各部门;各部门"),
    ("下属各单位", "下属单位", "", "下属各单位;局属各单位;各下属单位;直属各单位"),
]

BUREAU_MAPPINGS = [
    ("市政务公开办", "局办公室", "政务公开日常工作由局办公室承担"),
]

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
_GIVEN = ["丽", "伟", "芳", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "霞", "平", "刚", "华", "琳"]


def _contact(i: int, area: str) -> tuple[str, str, str]:
    """Invented but plausible contact, phone and mail for the i-th unit."""
    name = _SURNAMES[i % len(_SURNAMES)] + _GIVEN[(i * 7) % len(_GIVEN)]
    phone = f"{area}-{6120000 + i * 137:07d}"
    email = f"unit{i + 1:02d}@{'xian' if area == '0878' else 'ctb'}.example.com"
    return name, phone, email


SAMPLES = {
    "部门名录_示例县.xlsx": ("0878", COUNTY_UNITS, COUNTY_GROUPS, COUNTY_MAPPINGS, "云南省楚雄州X县(示例)"),
    "部门名录_文旅局科室.xlsx": ("0879", BUREAU_UNITS, BUREAU_GROUPS, BUREAU_MAPPINGS, "楚雄市文化和旅游局(示例)"),
}

README_ROWS = [
    ("部门名录", "每行一个单位。“单位名称”必填且不能重复；“简称/别名”可填多个，用顿号分隔；"
     "“类别”用于分组（部门、乡镇街道、科室、下属单位）；“对口上级单位”填写由本单位承接的上级单位关键词"
     "（例如本县没有地方金融监管局，则在县财政局一行填“地方金融监管局”）。"
     "“职能关键词”补充程序自带的职能关键词表（上级文件写“有关部门”时，按任务内容涉及的职能选出相关单位）；"
     "“排除关键词”由 decompose --learn 根据分解表中的删改写入，这些关键词不再使本单位被列为有关部门。"),
    ("分组", "上级文件中的泛称（如“省直有关部门”“各州、市人民政府”）在分解表中先写成分组名称，下发时展开为成员。"
     "“成员类别”按类别取成员，“成员”可逐个列出；“对应上级表述”用分号分隔。"
     "“有关部门”“相关部门”类表述不会整组下发：分解时按职能关键词从该分组中选出相关单位，一个都匹配不上时才保留分组。"),
    ("映射", "自动匹配不正确时，在此登记“上级单位 → 本级单位”，下次分解时优先使用。本级单位可填多个（顿号分隔）或填分组名称。"
     "在分解表中修改后运行 zwgk-xl decompose --learn 分解表.xlsx，程序会自动登记（先备份本名录）。"),
]


def build_one(path: Path, area: str, units, groups, mappings, title: str) -> Path:
    """Write one sample directory workbook (deterministic content)."""
    import xlsxwriter

    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp))
        wb.set_properties({"title": f"部门名录 {title}", "created": _dt.datetime(2021, 1, 1)})
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "vcenter"})
        cell = wb.add_format({"border": 1, "text_wrap": True, "valign": "vcenter"})
        ws = wb.add_worksheet("部门名录")
        ws.write_row(0, 0, UNIT_HEADERS, head)
        for i, (name, aliases, cat, kw) in enumerate(units):
            contact, phone, email = _contact(i, area)
            ws.write_row(i + 1, 0, [name, aliases, cat, contact, phone, email, kw, FUNCTION_KEYWORDS.get(name, ""), ""],
                         cell)
        for col, width in enumerate([28, 24, 10, 8, 14, 26, 40, 30, 20]):
            ws.set_column(col, col, width)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, len(units), len(UNIT_HEADERS) - 1)
        for sheet, header, rows in (
            ("分组", ["分组名称", "成员类别", "成员", "对应上级表述"], groups),
            ("映射", ["上级单位", "本级单位", "说明"], mappings),
            ("说明", ["工作表", "填写说明"], README_ROWS),
        ):
            s = wb.add_worksheet(sheet)
            s.write_row(0, 0, header, head)
            for r, values in enumerate(rows, start=1):
                s.write_row(r, 0, list(values), cell)
            s.set_column(0, len(header) - 1, 24)
            s.set_column(len(header) - 1, len(header) - 1, 70)
        wb.close()
    return path


def build(out_dir: Path = HERE) -> list[Path]:
    """Write both samples into ``out_dir``; returns their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [build_one(out_dir / fname, *spec) for fname, spec in SAMPLES.items()]


if __name__ == "__main__":  # pragma: no cover
    for p in build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(p)
