"""The unit directory (部门名录): local units, their aliases, contacts and groups.

A directory workbook holds:

* sheet ``部门名录`` (or the first sheet with a ``单位名称`` header): one unit a
  row with the columns of :data:`UNIT_COLUMNS`;
* optional sheet ``分组``: group name, member category and/or explicit
  members, and the superior phrases (省直有关部门 …) that mean the group;
* optional sheet ``映射``: superior unit → local unit(s), an alias table the
  office extends whenever a mapping had to be corrected (``decompose --learn``
  writes it from an edited 分解表).

Two optional unit columns steer 有关部门: 职能关键词 extends the shipped table of
functional keywords (``decompose/topics.py``); 排除关键词 lists keywords that must
no longer propose the unit.

Without a ``分组`` sheet, groups are derived from the 类别 column
(部门 → 县直各部门, 乡镇街道 → 各乡镇(街道), 科室 → 各科室 …).
A ``.csv`` file with the 部门名录 columns is accepted too.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterable

from zwgk_xl.core.errors import DirectoryError, InputError

# (key, header, accepted header spellings)
UNIT_COLUMNS = [
    ("name", "单位名称", ("单位名称", "单位", "名称", "部门名称", "科室名称")),
    ("aliases", "简称/别名", ("简称/别名", "简称", "别名", "简称或别名")),
    ("category", "类别", ("类别", "单位类别", "类型")),
    ("contact", "联系人", ("联系人", "联络员")),
    ("phone", "电话", ("电话", "联系电话", "手机")),
    ("email", "邮箱", ("邮箱", "电子邮箱", "电子邮件", "email", "e-mail")),
    ("superior_keywords", "对口上级单位", ("对口上级单位", "对口上级", "上级对口单位")),
    ("function_keywords", "职能关键词", ("职能关键词", "职能关键字", "主要职能")),
    ("excluded_keywords", "排除关键词", ("排除关键词", "排除关键字")),
]
UNITS_SHEET = "部门名录"
GROUPS_SHEET = "分组"
MAPPING_SHEET = "映射"
GROUP_COLUMNS = ["分组名称", "成员类别", "成员", "对应上级表述"]
MAPPING_COLUMNS = ["上级单位", "本级单位", "说明"]

# Separators inside one cell listing several names.  、 is not among them for
# phrases (各州、市人民政府), only for lists of plain names.
_LIST_SPLIT = re.compile(r"[、,,;;/\n]+")

# Default groups by category when the workbook has no 分组 sheet:
# category -> (group name template, superior phrases that mean it).
DEPARTMENT_PHRASES = [
    "省直有关部门", "省直各部门", "省级有关部门", "省级各部门", "省政府各部门",
    "州直有关部门", "州直各部门", "州级有关部门", "州级各部门", "州政府各部门",
    "市直有关部门", "市直各部门", "市级有关部门", "市级各部门", "市政府各部门",
    "县直有关部门", "县直各部门", "县级有关部门", "县级各部门", "县政府各部门",
    "各有关部门", "有关部门", "各部门", "各相关部门", "相关部门", "按照职责分工负责",
]
TOWNSHIP_PHRASES = [
    "各州、市人民政府", "各州市人民政府", "各州(市)人民政府", "各州、市政府", "各州市政府",
    "各县区", "各县、区", "各县(市、区)", "各县(市、区)人民政府", "各县、市、区人民政府",
    "各县市区", "各县区人民政府", "各县、区人民政府", "各区县",
    "各镇街", "各镇(街)", "各镇、街", "各乡镇", "各乡镇(街道)", "各乡(镇)", "各乡镇人民政府",
    "各镇街道", "各街道", "各乡镇人民政府(街道办事处)", "各乡(镇)人民政府", "各地",
]
SECTION_PHRASES = ["各科室", "局机关各科室", "各股室", "机关各科室", "各处室", "各科(室)", "相关科室", "有关科室"]
AFFILIATE_PHRASES = ["下属各单位", "局属各单位", "各下属单位", "直属各单位", "各直属单位"]

_CATEGORY_GROUPS = {
    "部门": ("{level}直各部门", DEPARTMENT_PHRASES),
    "乡镇街道": ("各乡镇(街道)", TOWNSHIP_PHRASES),
    "科室": ("各科室", SECTION_PHRASES),
    "下属单位": ("下属各单位", AFFILIATE_PHRASES),
}


def _clean(value) -> str:
    """A cell value as a stripped one-line string."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s+", " ", str(value)).strip()


def split_names(cell: str) -> list[str]:
    """Split a cell listing names (、 , ; / newline) into clean names."""
    return [p.strip() for p in _LIST_SPLIT.split(cell or "") if p.strip()]


@dataclass
class Unit:
    """One local unit (a department, township or 科室)."""

    name: str
    aliases: list[str] = field(default_factory=list)
    category: str = ""
    contact: str = ""
    phone: str = ""
    email: str = ""
    superior_keywords: list[str] = field(default_factory=list)
    function_keywords: list[str] = field(default_factory=list)  # extends the shipped keyword table
    excluded_keywords: list[str] = field(default_factory=list)  # keywords that must not propose this unit


@dataclass
class Directory:
    """A loaded 部门名录."""

    units: list[Unit] = field(default_factory=list)
    groups: dict[str, list[str]] = field(default_factory=dict)
    group_phrases: dict[str, str] = field(default_factory=dict)  # superior phrase -> group
    mappings: dict[str, list[str]] = field(default_factory=dict)  # superior unit -> local names
    path: str = ""
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._index: dict[str, Unit] = {}
        self.reindex()

    def reindex(self) -> None:
        """Rebuild the name/alias lookup after changing :attr:`units`."""
        self._index = {}
        for u in self.units:
            for key in [u.name, *u.aliases]:
                self._index.setdefault(_key(key), u)

    def get(self, name_or_alias: str) -> Unit | None:
        """The unit called (or aliased) ``name_or_alias``, else None."""
        return self._index.get(_key(name_or_alias))

    def group_name(self, name: str) -> str | None:
        """The group's name as written in the directory (bracket width ignored), else None."""
        if name in self.groups:
            return name
        k = _key(name)
        return next((g for g in self.groups if _key(g) == k), None)

    def is_group(self, name: str) -> bool:
        return self.group_name(name) is not None

    def expand(self, name: str) -> list[str]:
        """Member names of a group, ``[unit.name]`` for a unit or alias, ``[]`` if unknown."""
        group = self.group_name(name)
        if group is not None:
            return list(self.groups[group])
        unit = self.get(name)
        return [unit.name] if unit else []

    @property
    def names(self) -> list[str]:
        return [u.name for u in self.units]

    def choices(self) -> list[str]:
        """Names offered in dropdowns: units first, then groups."""
        return self.names + [g for g in self.groups if g not in self._index]


class NameIndex:
    """Finds whole names in a text as ``re.finditer`` over the alternation of the names, longest first, would.

    Scanning left to right, the longest name starting at a position matches and the scan resumes after it,
    so a name inside a longer matched name does not count.  Instead of trying every name at every position,
    a character class of the names' first characters skips the positions no name starts at, and at the
    others the next two characters select the lengths of the names starting with them, each length costing
    one set lookup: the cost per position is bounded by the longest name, not the number of names.  The
    empty name matches nothing (the regex matched it between any two characters).
    """

    def __init__(self, names: Iterable[str]) -> None:
        self.names = frozenset(n for n in names if n)
        lengths: dict[str, set[int]] = {}
        for name in self.names:
            if len(name) >= 2:
                lengths.setdefault(name[:2], set()).add(len(name))
        self._lengths = {k: tuple(sorted(v, reverse=True)) for k, v in lengths.items()}
        self._singles = frozenset(n for n in self.names if len(n) == 1)
        firsts = "".join(sorted({n[0] for n in self.names}))
        self._starts = re.compile(f"[{re.escape(firsts)}]") if firsts else None

    def find(self, text: str) -> list[str]:
        """The names matched in ``text``, in order of position (repeats included)."""
        out: list[str] = []
        if self._starts is None or not text:
            return out
        names, lengths, singles = self.names, self._lengths, self._singles
        end = 0
        for m in self._starts.finditer(text):
            i = m.start()
            if i < end:  # inside the name matched last
                continue
            for k in lengths.get(text[i:i + 2], ()):
                got = text[i:i + k]
                if got in names:  # a cut-off slice is a name only if nothing longer fits
                    out.append(got)
                    end = i + len(got)
                    break
            else:
                if singles and text[i] in singles:
                    out.append(text[i])
                    end = i + 1
        return out


_FOLD = str.maketrans({"（": "(", "）": ")", "〔": "(", "〕": ")", "【": "(", "】": ")", "，": ",", "；": ";"})


def name_key(name: str) -> str:
    """Lookup key of a name: no whitespace, half-width brackets and punctuation."""
    return re.sub(r"\s+", "", name or "").translate(_FOLD)


_key = name_key


# ---------------------------------------------------------------------------
# Loading


def sample_directory_path(kind: str = "county") -> Path:
    """Path of a bundled sample directory: ``"county"`` (a Yunnan county) or ``"bureau"`` (科室)."""
    files = {"county": "部门名录_示例县.xlsx", "bureau": "部门名录_文旅局科室.xlsx"}
    if kind not in files:
        raise InputError(f"没有名为「{kind}」的示例名录，可选：county（示例县）、bureau（文旅局科室）。")
    return Path(str(resources.files("zwgk_xl").joinpath("data", files[kind])))


def load_directory(path, level: str = "县") -> Directory:
    """Load a 部门名录 (.xlsx/.xlsm or .csv).

    Args:
        path: the directory file.
        level: the local level (县/市/局), used to name default groups
            (县直各部门 …) when the workbook has no 分组 sheet.

    Raises:
        DirectoryError: missing 单位名称 column, duplicate names, a row
            without a name, a group member that is not in the directory.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"找不到部门名录文件：{path}。请检查路径。")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        sheets = {UNITS_SHEET: _read_csv(path)}
    elif suffix in (".xlsx", ".xlsm"):
        sheets = _read_workbook(path)
    else:
        raise DirectoryError(f"部门名录「{path.name}」的格式不受支持，请另存为 .xlsx 或 .csv。")
    d = Directory(path=str(path))
    unit_sheet = _find_unit_sheet(sheets, path)
    d.units = _parse_units(sheets[unit_sheet], path.name, unit_sheet, d.warnings)
    d.reindex()
    if GROUPS_SHEET in sheets:
        _parse_groups(d, sheets[GROUPS_SHEET], path.name)
    else:
        _default_groups(d, level)
    for sheet in (MAPPING_SHEET, "别名对照", "映射表"):
        if sheet in sheets:
            _parse_mappings(d, sheets[sheet], path.name, sheet)
    return d


def _read_workbook(path: Path) -> dict[str, list[tuple]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - any parse failure is a bad file
        raise DirectoryError(f"无法打开部门名录「{path.name}」，请确认它是完好的 Excel 文件。") from e
    try:
        return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()


def _read_csv(path: Path) -> list[tuple]:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DirectoryError(f"部门名录「{path.name}」的文字编码无法识别，请另存为 UTF-8 编码的 CSV。")
    return [tuple(r) for r in csv.reader(text.splitlines())]


def _header_map(row: tuple, spec) -> dict[str, int]:
    cells = [_clean(c).lower() for c in row]
    found = {}
    for key, _, spellings in spec:
        for i, c in enumerate(cells):
            if c in [s.lower() for s in spellings]:
                found[key] = i
                break
    return found


def _find_unit_sheet(sheets: dict, path: Path) -> str:
    order = [UNITS_SHEET] + [s for s in sheets if s != UNITS_SHEET]
    for name in order:
        rows = sheets.get(name)
        if not rows:
            continue
        for row in rows[:10]:
            if "name" in _header_map(row, UNIT_COLUMNS):
                return name
    where = f"工作表「{UNITS_SHEET}」" if UNITS_SHEET in sheets else "任何工作表"
    raise DirectoryError(
        f"部门名录「{path.name}」的{where}中找不到“单位名称”列。"
        "请在表头（前10行内）加一列“单位名称”，每行填一个单位。"
    )


def _parse_units(rows: list[tuple], fname: str, sheet: str, warnings: list[str]) -> list[Unit]:
    hdr_i = next(i for i, r in enumerate(rows[:10]) if "name" in _header_map(r, UNIT_COLUMNS))
    cols = _header_map(rows[hdr_i], UNIT_COLUMNS)
    units: list[Unit] = []
    seen: dict[str, tuple[int, str]] = {}  # key -> (row, unit name)
    where = f"部门名录「{fname}」工作表「{sheet}」"
    for i, row in enumerate(rows[hdr_i + 1 :], start=hdr_i + 2):
        vals = {k: _clean(row[c]) if c < len(row) else "" for k, c in cols.items()}
        if not any(_clean(c) for c in row):
            warnings.append(f"{where}第{i}行是空行，已跳过。")
            continue
        if not vals.get("name"):
            raise DirectoryError(f"{where}第{i}行没有填写单位名称。请补上单位名称，或删除该行。")
        unit = Unit(
            name=vals["name"],
            aliases=split_names(vals.get("aliases", "")),
            category=vals.get("category", ""),
            contact=vals.get("contact", ""),
            phone=vals.get("phone", ""),
            email=vals.get("email", ""),
            superior_keywords=split_names(vals.get("superior_keywords", "")),
            function_keywords=split_names(vals.get("function_keywords", "")),
            excluded_keywords=split_names(vals.get("excluded_keywords", "")),
        )
        for label, key in [("单位名称", unit.name)] + [("简称/别名", a) for a in unit.aliases]:
            k = _key(key)
            if k in seen and seen[k][1] != unit.name:
                prev_row, prev_name = seen[k]
                raise DirectoryError(
                    f"{where}第{i}行的{label}「{key}」与第{prev_row}行的「{prev_name}」重复。"
                    "每个名称和别名只能属于一个单位，请删除或改名其中一行。"
                )
            if k in seen and label == "单位名称":
                raise DirectoryError(
                    f"{where}第{i}行的单位名称「{key}」与第{seen[k][0]}行重复。请删除重复的行。"
                )
            seen[k] = (i, unit.name)
        units.append(unit)
    if not units:
        raise DirectoryError(f"{where}中没有任何单位。请在“单位名称”列下逐行填写单位。")
    return units


def _parse_groups(d: Directory, rows: list[tuple], fname: str) -> None:
    where = f"部门名录「{fname}」工作表「{GROUPS_SHEET}」"
    spec = [(h, h, (h,)) for h in GROUP_COLUMNS]
    hdr = next((i for i, r in enumerate(rows[:10]) if "分组名称" in _header_map(r, spec)), None)
    if hdr is None:
        raise DirectoryError(f"{where}中找不到“分组名称”列。请按“分组名称、成员类别、成员、对应上级表述”设置表头。")
    cols = _header_map(rows[hdr], spec)
    for i, row in enumerate(rows[hdr + 1 :], start=hdr + 2):
        vals = {k: _clean(row[c]) if c < len(row) else "" for k, c in cols.items()}
        name = vals.get("分组名称", "")
        if not name:
            if any(vals.values()):
                raise DirectoryError(f"{where}第{i}行没有填写分组名称。")
            continue
        if d.get(name):
            raise DirectoryError(f"{where}第{i}行的分组名称「{name}」与某个单位同名，请换一个分组名称。")
        members: list[str] = []
        for cat in split_names(vals.get("成员类别", "")):
            members += [u.name for u in d.units if u.category == cat and u.name not in members]
        for m in split_names(vals.get("成员", "")):
            unit = d.get(m)
            if unit is None:
                raise DirectoryError(f"{where}第{i}行的成员「{m}」不在部门名录中。请先在部门名录中添加该单位，或改正名称。")
            if unit.name not in members:
                members.append(unit.name)
        if not members:
            raise DirectoryError(f"{where}第{i}行的分组「{name}」没有成员。请填写“成员类别”或“成员”。")
        d.groups[name] = members
        # Phrases are separated by newlines or ;, since 、 occurs inside them.
        for phrase in re.split(r"[;;\n]+", vals.get("对应上级表述", "")):
            if phrase.strip():
                d.group_phrases[_key(phrase)] = name
        d.group_phrases.setdefault(_key(name), name)


def _default_groups(d: Directory, level: str) -> None:
    for cat, (template, phrases) in _CATEGORY_GROUPS.items():
        members = [u.name for u in d.units if u.category == cat]
        if not members:
            continue
        name = template.format(level=level if level in ("县", "市", "州", "区") else "县")
        d.groups[name] = members
        for p in phrases + [name]:
            d.group_phrases.setdefault(_key(p), name)


def _parse_mappings(d: Directory, rows: list[tuple], fname: str, sheet: str) -> None:
    where = f"部门名录「{fname}」工作表「{sheet}」"
    spec = [("superior", "上级单位", ("上级单位", "上级表述")), ("local", "本级单位", ("本级单位", "对应单位"))]
    hdr = next((i for i, r in enumerate(rows[:10]) if len(_header_map(r, spec)) == 2), None)
    if hdr is None:
        raise DirectoryError(f"{where}中找不到“上级单位”和“本级单位”两列。请按“上级单位、本级单位、说明”设置表头。")
    cols = _header_map(rows[hdr], spec)
    for i, row in enumerate(rows[hdr + 1 :], start=hdr + 2):
        sup = _clean(row[cols["superior"]]) if cols["superior"] < len(row) else ""
        loc = _clean(row[cols["local"]]) if cols["local"] < len(row) else ""
        if not sup and not loc:
            continue
        if not sup or not loc:
            raise DirectoryError(f"{where}第{i}行的“上级单位”和“本级单位”必须都填写。")
        names = []
        for n in split_names(loc):
            unit = d.get(n)
            if n in d.groups:
                names.append(n)
            elif unit:
                names.append(unit.name)
            else:
                raise DirectoryError(f"{where}第{i}行的本级单位「{n}」不在部门名录中，也不是分组。请改正名称。")
        d.mappings[_key(sup)] = names
