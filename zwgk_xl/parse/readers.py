"""Readers for the files offices receive: text, .docx, .doc/.wps/.rtf/.odt, .html, spreadsheets.

Each reader returns plain data: text lines and tables as rows of cell texts
(merged cells carried into every cell they cover).  Readers never interpret
the numbering; they only make it visible (Word auto-numbering is rendered
into the paragraph text, as Word would display it).
"""

from __future__ import annotations

import email
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from zwgk_xl.core.encodings import codec_for
from zwgk_xl.core.errors import InputError
from zwgk_xl.core.values import cell_text
from zwgk_xl.parse.numbering import int_to_cn

# ---------------------------------------------------------------------------
# Shared shapes


@dataclass
class Extract:
    """What a document holds: lines in reading order and its tables.

    Table contents also appear in ``lines`` at their place (one cell per line),
    so a document whose text sits in a layout table still reads as text.
    ``table_lines[i]`` is the index in ``lines`` where table ``i`` begins.
    """

    lines: list[str] = field(default_factory=list)
    tables: list[list[list[str]]] = field(default_factory=list)
    table_lines: list[int] = field(default_factory=list)


@dataclass
class Sheet:
    """A worksheet as rows of cell texts; ``rows[0]`` is spreadsheet row 1."""

    name: str
    rows: list[list[str]] = field(default_factory=list)


def _is_blank_bytes(data: bytes) -> bool:
    return not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe")


# ---------------------------------------------------------------------------
# Plain text

def decode_bytes(data: bytes, name: str = "") -> str:
    """Decode text bytes: BOMs, UTF-8, then GB18030/GBK/Big5 (charset-normalizer)."""
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"),
                     (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"),
                     (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc)
            except UnicodeDecodeError:
                break
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:4096]:
        raise InputError(f"「{name}」不是文本文件（含二进制内容）。请确认文件类型，或另存为 .txt/.docx 后重试。")
    guess = None
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:200_000]).best()
        guess = best.encoding.lower().replace("-", "").replace("_", "") if best else None
    except Exception:  # noqa: BLE001 - the decoder below still has a chance
        guess = None
    order: list[str] = []
    if codec_for(guess):
        order.append(codec_for(guess))
    order.append("gb18030")
    if guess and guess not in order:
        order.append(guess)
    for enc in order:
        try:
            return data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    raise InputError(f"无法识别「{name}」的文字编码。请用记事本/WPS 另存为 UTF-8 编码的 .txt 后重试。")


def read_text_file(path) -> str:
    """Read a text file in UTF-8 (with or without BOM), UTF-16 (BOM) or GB18030/GBK/Big5."""
    path = Path(path)
    data = _read_bytes(path)
    text = decode_bytes(data, path.name)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"找不到文件「{path}」，请检查路径。") from None
    except IsADirectoryError:
        raise InputError(f"「{path}」是文件夹，请指定其中的文件。") from None
    except OSError as e:
        raise InputError(f"无法读取「{path}」：{e.strerror or e}。") from None
    if _is_blank_bytes(data):
        raise InputError(f"「{path.name}」是空文件，没有可解析的内容。请确认选对了文件。")
    return data


# ---------------------------------------------------------------------------
# .docx

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _w(tag: str) -> str:
    return f"{{{_W}}}{tag}"


_SKIP_TEXT_UNDER = {_w("del"), _w("moveFrom"), _w("txbxContent"), _w("pPr"), _w("rPr"),
                    "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"}

_CN_DIGITS = "〇一二三四五六七八九"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳㉑㉒㉓㉔㉕㉖㉗㉘㉙㉚㉛㉜㉝㉞㉟㊱㊲㊳㊴㊵㊶㊷㊸㊹㊺㊻㊼㊽㊾㊿"


def _roman(n: int) -> str:
    vals = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
            (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = ""
    for v, s in vals:
        while n >= v:
            out += s
            n -= v
    return out


def _letters(n: int) -> str:
    # Word: a..z, aa..zz, aaa..
    if n <= 0:
        return ""
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def format_number(n: int, fmt: str) -> str:
    """Render counter ``n`` in a Word ``numFmt`` (decimal, chineseCounting, …)."""
    if fmt in ("chineseCounting", "chineseCountingThousand", "japaneseCounting",
               "taiwaneseCounting", "taiwaneseCountingThousand", "ideographDigital",
               "koreanCounting", "japaneseDigitalTenThousand"):
        if fmt == "ideographDigital":
            return "".join(_CN_DIGITS[int(d)] for d in str(n))
        return int_to_cn(n)
    if fmt == "chineseLegalSimplified":
        return int_to_cn(n).translate(str.maketrans("一二三四五六七八九十", "壹贰叁肆伍陆柒捌玖拾"))
    if fmt in ("ideographTraditional",):
        return "甲乙丙丁戊己庚辛壬癸"[(n - 1) % 10]
    if fmt in ("ideographZodiac",):
        return "子丑寅卯辰巳午未申酉戌亥"[(n - 1) % 12]
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese"):
        return _CIRCLED[n - 1] if 0 < n <= len(_CIRCLED) else f"({n})"
    if fmt == "ideographEnclosedCircle":
        return "㈠㈡㈢㈣㈤㈥㈦㈧㈨㈩"[n - 1] if 0 < n <= 10 else f"({int_to_cn(n)})"
    if fmt == "decimalEnclosedParen":
        return f"({n})"
    if fmt == "decimalEnclosedFullstop":
        return f"{n}."
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt == "lowerLetter":
        return _letters(n)
    if fmt == "upperLetter":
        return _letters(n).upper()
    if fmt == "lowerRoman":
        return _roman(n).lower()
    if fmt == "upperRoman":
        return _roman(n)
    if fmt in ("none", "bullet"):
        return ""
    return str(n)  # decimal, decimalFullWidth, decimalHalfWidth, ordinal, …


@dataclass
class _Level:
    fmt: str = "decimal"
    text: str = "%1."
    start: int = 1
    restart: int | None = None  # lvlRestart: restart after this (1-based) level; 0 = never
    legal: bool = False
    suffix: str = "tab"


class _Numbering:
    """Word list numbering: numbering.xml definitions, style links and counters."""

    def __init__(self, doc):
        self.abstract: dict[str, dict[int, _Level]] = {}
        self.num_abs: dict[str, str] = {}
        self.overrides: dict[str, dict[int, tuple[int | None, _Level | None]]] = {}
        self.style_numpr: dict[str, tuple[str | None, int | None]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        self.started_nums: set[str] = set()
        self._load_styles(doc)
        self._load_numbering(doc)

    # -- loading
    def _load_styles(self, doc) -> None:
        try:
            styles = doc.styles.element
        except Exception:  # noqa: BLE001 - no styles part
            return
        based: dict[str, str] = {}
        own: dict[str, tuple[str | None, int | None]] = {}
        for st in styles.iter(_w("style")):
            sid = st.get(_w("styleId"))
            if not sid:
                continue
            b = st.find(_w("basedOn"))
            if b is not None:
                based[sid] = b.get(_w("val"))
            numpr = st.find(f"{_w('pPr')}/{_w('numPr')}")
            if numpr is not None:
                own[sid] = _numpr_values(numpr)
        for sid in set(based) | set(own):
            seen, cur = set(), sid
            while cur and cur not in own and cur not in seen:
                seen.add(cur)
                cur = based.get(cur)
            if cur in own:
                self.style_numpr[sid] = own[cur]

    def _load_numbering(self, doc) -> None:
        try:
            root = doc.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        style_links: dict[str, str] = {}
        for an in root.iter(_w("abstractNum")):
            aid = an.get(_w("abstractNumId"))
            self.abstract[aid] = {int(lv.get(_w("ilvl"), "0")): _parse_level(lv)
                                  for lv in an.findall(_w("lvl"))}
            link = an.find(_w("numStyleLink"))
            if link is not None:
                style_links[aid] = link.get(_w("val"))
        for num in root.iter(_w("num")):
            nid = num.get(_w("numId"))
            a = num.find(_w("abstractNumId"))
            if a is None:
                continue
            self.num_abs[nid] = a.get(_w("val"))
            ov: dict[int, tuple[int | None, _Level | None]] = {}
            for lo in num.findall(_w("lvlOverride")):
                il = int(lo.get(_w("ilvl"), "0"))
                so = lo.find(_w("startOverride"))
                lv = lo.find(_w("lvl"))
                ov[il] = (int(so.get(_w("val"))) if so is not None else None,
                          _parse_level(lv) if lv is not None else None)
            if ov:
                self.overrides[nid] = ov
        # numStyleLink: the abstractNum defers to the list defined on a numbering style
        for aid, style in style_links.items():
            target = self.style_numpr.get(style, (None, None))[0]
            if target and target in self.num_abs and self.num_abs[target] != aid:
                self.abstract[aid] = self.abstract.get(self.num_abs[target], {})

    # -- rendering
    def label(self, p_el) -> str:
        """The number Word shows before paragraph ``p_el`` ("" if none)."""
        num_id, ilvl = None, None
        ppr = p_el.find(_w("pPr"))
        style = None
        if ppr is not None:
            numpr = ppr.find(_w("numPr"))
            if numpr is not None:
                num_id, ilvl = _numpr_values(numpr)
            ps = ppr.find(_w("pStyle"))
            if ps is not None:
                style = ps.get(_w("val"))
        if style and style in self.style_numpr:
            s_num, s_lvl = self.style_numpr[style]
            num_id = num_id if num_id is not None else s_num
            ilvl = ilvl if ilvl is not None else s_lvl
        if not num_id or num_id == "0" or num_id not in self.num_abs:
            return ""
        ilvl = ilvl or 0
        aid = self.num_abs[num_id]
        levels = dict(self.abstract.get(aid, {}))
        ov = self.overrides.get(num_id, {})
        for il, (_start, lv) in ov.items():
            if lv is not None:
                levels[il] = lv
        if ilvl not in levels:
            return ""
        counters = self.counters.setdefault(aid, {})
        if num_id not in self.started_nums:
            self.started_nums.add(num_id)
            for il, (start, lv) in ov.items():
                if start is not None or lv is not None:
                    base = start if start is not None else levels[il].start
                    counters[il] = base - 1
                    for deeper in [k for k in counters if k > il]:
                        del counters[deeper]
        lvl = levels[ilvl]
        counters[ilvl] = counters.get(ilvl, lvl.start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            restart = levels.get(deeper, _Level()).restart
            if restart is None or ilvl < restart:
                del counters[deeper]
        if lvl.fmt == "bullet":
            return ""

        def sub(m):
            k = int(m.group(1)) - 1
            lv = levels.get(k, _Level())
            n = counters.get(k, lv.start)
            return format_number(n, "decimal" if lvl.legal else lv.fmt)

        text = re.sub(r"%([1-9])", sub, lvl.text)
        if not text.strip():
            return ""
        sep = " " if lvl.suffix == "space" or (text[-1].isalnum() and lvl.suffix != "nothing") else ""
        return text + sep


def _numpr_values(numpr) -> tuple[str | None, int | None]:
    nid = numpr.find(_w("numId"))
    il = numpr.find(_w("ilvl"))
    return (nid.get(_w("val")) if nid is not None else None,
            int(il.get(_w("val"))) if il is not None else None)


def _parse_level(lv) -> _Level:
    def val(tag, default=None):
        el = lv.find(_w(tag))
        return el.get(_w("val"), default) if el is not None else default

    restart = val("lvlRestart")
    return _Level(
        fmt=val("numFmt", "decimal") or "decimal",
        text=val("lvlText", "") or "",
        start=int(val("start", "1") or 1),
        restart=int(restart) if restart is not None else None,
        legal=lv.find(_w("isLgl")) is not None and val("isLgl", "1") not in ("0", "false"),
        suffix=val("suff", "tab") or "tab",
    )


def _para_text(p_el) -> str:
    """The visible text of a paragraph: tracked insertions in, deletions and text boxes out."""
    out: list[str] = []
    t_tag, tab, br, cr, nbh = _w("t"), _w("tab"), _w("br"), _w("cr"), _w("noBreakHyphen")

    def walk(el):
        for ch in el:
            tag = ch.tag
            if tag in _SKIP_TEXT_UNDER:
                continue
            if tag == t_tag:
                out.append(ch.text or "")
            elif tag == tab:
                out.append(" ")
            elif tag in (br, cr):
                if ch.get(_w("type")) not in ("page", "column"):
                    out.append("\n")
            elif tag == nbh:
                out.append("-")
            elif tag == _w("p"):  # nested paragraph (sdt content)
                walk(ch)
            else:
                walk(ch)

    walk(p_el)
    return "".join(out)


class _DocxWalker:
    def __init__(self, doc):
        self.numbering = _Numbering(doc)
        self.extract = Extract()

    def paragraph(self, p_el) -> str:
        label = self.numbering.label(p_el)
        text = _para_text(p_el)
        stripped = text.lstrip()
        if not stripped:
            return ""
        if label and not stripped.startswith(label.strip()):
            text = label + stripped
        return text

    def add_lines(self, text: str) -> None:
        for line in text.split("\n"):
            if line.strip():
                self.extract.lines.append(line.strip())

    def body(self, parent) -> None:
        for el in parent:
            tag = el.tag
            if tag == _w("p"):
                self.add_lines(self.paragraph(el))
            elif tag == _w("tbl"):
                self.table(el)
            elif tag in (_w("sdt"), _w("customXml"), _w("sdtContent")):
                self.body(el.find(_w("sdtContent")) if tag == _w("sdt") else el)

    def cell_text(self, tc) -> str:
        parts: list[str] = []
        for el in tc:
            if el.tag == _w("p"):
                t = self.paragraph(el).strip()
                if t:
                    parts.append(t)
            elif el.tag == _w("tbl"):  # nested table: flatten its cells
                for row in self.rows(el):
                    parts.extend(c for c in _distinct(row) if c)
            elif el.tag in (_w("sdt"), _w("customXml")):
                parts.append(self.cell_text(el.find(_w("sdtContent")) if el.tag == _w("sdt") else el))
        return "\n".join(p for p in parts if p)

    def rows(self, tbl) -> list[list[str]]:
        """Rows of a table on its column grid, merged cells carried."""
        grid: list[list[str]] = []
        above: dict[int, str] = {}
        for tr in tbl.iter(_w("tr")):
            if tr.getparent() is not tbl and tr.getparent().tag != _w("sdtContent"):
                continue  # rows of nested tables are handled by cell_text
            row: list[str] = []
            trpr = tr.find(_w("trPr"))
            before = 0
            if trpr is not None:
                gb = trpr.find(_w("gridBefore"))
                if gb is not None:
                    before = int(gb.get(_w("val"), "0"))
            row.extend([""] * before)
            for tc in tr.iter(_w("tc")):
                if tc.getparent() is not tr and tc.getparent().tag != _w("sdtContent"):
                    continue
                tcpr = tc.find(_w("tcPr"))
                span, vmerge = 1, None
                if tcpr is not None:
                    gs = tcpr.find(_w("gridSpan"))
                    if gs is not None:
                        span = max(1, int(gs.get(_w("val"), "1")))
                    vm = tcpr.find(_w("vMerge"))
                    if vm is not None:
                        vmerge = vm.get(_w("val"), "continue")
                col = len(row)
                if vmerge == "continue":
                    text = above.get(col, "")
                else:
                    text = self.cell_text(tc)
                row.extend([text] * span)
                for c in range(col, col + span):
                    above[c] = text
            grid.append(row)
        width = max((len(r) for r in grid), default=0)
        return [r + [""] * (width - len(r)) for r in grid]

    def table(self, tbl) -> None:
        rows = self.rows(tbl)
        self.extract.table_lines.append(len(self.extract.lines))
        self.extract.tables.append(rows)
        prev: list[str] = []
        for row in rows:
            # one cell per line; cells carried from a merge are not repeated
            for i, cell in enumerate(row):
                if not cell or (i > 0 and row[i - 1] == cell) or (i < len(prev) and prev[i] == cell):
                    continue
                self.add_lines(cell)
            prev = row


def _distinct(row: list[str]) -> list[str]:
    out: list[str] = []
    for c in row:
        if not out or out[-1] != c:
            out.append(c)
    return out


def read_docx(path) -> Extract:
    """Paragraphs and tables of a .docx in body order, Word auto-numbering rendered."""
    path = Path(path)
    _read_bytes(path)  # missing / empty checks
    if not zipfile.is_zipfile(path):
        raise InputError(
            f"「{path.name}」不是有效的 Word 文件（.docx），可能已损坏或只是改了扩展名。"
            "请用 Word/WPS 打开后另存为 .docx 再试。"
        )
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        doc = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as e:
        raise InputError(
            f"「{path.name}」不是有效的 Word 文件（.docx）：{e}。请用 Word/WPS 打开后另存为 .docx 再试。"
        ) from None
    walker = _DocxWalker(doc)
    walker.body(doc.element.body)
    return walker.extract


# ---------------------------------------------------------------------------
# .doc / .wps / .rtf / .odt through LibreOffice


def read_doc(path) -> Extract:
    """Read a .doc/.wps/.rtf/.odt by converting it to .docx with LibreOffice."""
    from zwgk_xl.core.office import convert_with_soffice

    path = Path(path)
    _read_bytes(path)
    with tempfile.TemporaryDirectory(prefix="zwgk_doc_") as tmp:
        out = convert_with_soffice(path, "docx:MS Word 2007 XML", tmp)
        return read_docx(out)


# ---------------------------------------------------------------------------
# .html / .htm / .mhtml

_DROP_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe",
              "select", "button", "template", "svg", "canvas", "object", "embed", "head", "input",
              "textarea", "map")
_CHROME = re.compile(
    r"(^|[-_\s])(nav|navbar|menu|header|head|top|topbar|footer|foot|bottom|breadcrumb|crumb|"
    r"sidebar|side|share|toolbar|login|search|copyright|banner|links?|friendlink|ad|ads|"
    r"position|location|weizhi|dqwz|daohang|fenxiang|print|close)([-_\s]|$)",
    re.I,
)
_BLOCK = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
          "blockquote", "pre", "dd", "dt", "dl", "tr", "table", "center", "main", "body", "html",
          "address", "figure", "figcaption", "caption", "hr", "tbody", "thead", "tfoot"}
_CJK_GAP = re.compile(r"(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]) (?=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])")
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_\-]+)", re.I)


def _html_bytes(data: bytes) -> tuple[bytes, str | None]:
    """The HTML part of an .mhtml archive (or the bytes as they are) and its charset."""
    head = data[:4096].lower()
    if b"mime-version" in head and b"multipart" in head:
        msg = email.message_from_bytes(data)
        for part in msg.walk():
            if part.get_content_type() == "text/html":
                payload = part.get_payload(decode=True) or b""
                return payload, part.get_content_charset()
    return data, None


def _decode_html(data: bytes, name: str) -> str:
    data, charset = _html_bytes(data)
    if not charset:
        m = _META_CHARSET.search(data[:8192])
        charset = m.group(1).decode("ascii").lower() if m else None
    if charset:
        charset = codec_for(charset) or charset
        try:
            return data.decode(charset)
        except (UnicodeDecodeError, LookupError):
            pass
    return decode_bytes(data, name)


def _is_chrome(el, total: int) -> bool:
    ident = " ".join([el.get("id") or ""] + list(el.get("class") or []))
    if not ident or not _CHROME.search(ident):
        return False
    return len(el.get_text(strip=True)) < max(200, total * 0.3)


def _html_rows(table) -> list[list[str]]:
    """Rows of an HTML table with rowspan/colspan carried."""
    grid: list[list[str]] = []
    pending: dict[int, tuple[int, str]] = {}  # col -> (rows left, text)
    for tr in table.find_all("tr"):
        if tr.find_parent("table") is not table:
            continue
        row: list[str] = []
        cells = [c for c in tr.find_all(["td", "th"]) if c.find_parent("tr") is tr]

        def fill_pending():
            while len(row) in pending:
                left, text = pending[len(row)]
                row.append(text)
                if left <= 1:
                    del pending[len(row) - 1]
                else:
                    pending[len(row) - 1] = (left - 1, text)

        for c in cells:
            fill_pending()
            text = "\n".join(_block_lines(c))
            try:
                cs = max(1, int(c.get("colspan", 1)))
                rs = max(1, int(c.get("rowspan", 1)))
            except ValueError:
                cs = rs = 1
            for _ in range(min(cs, 50)):
                if rs > 1:
                    pending[len(row)] = (rs - 1, text)
                row.append(text)
        fill_pending()
        grid.append(row)
    width = max((len(r) for r in grid), default=0)
    return [r + [""] * (width - len(r)) for r in grid]


def _block_lines(el) -> list[str]:
    """Text of an element as lines, a break at every block element and <br>."""
    from bs4 import NavigableString, Tag
    from bs4.element import Comment

    lines: list[str] = []
    buf: list[str] = []

    def flush():
        s = re.sub(r"\s+", " ", "".join(buf)).strip()
        s = _CJK_GAP.sub("", s)
        if s:
            lines.append(s)
        buf.clear()

    def walk(node):
        for ch in node.children:
            if isinstance(ch, Comment):
                continue
            if isinstance(ch, NavigableString):
                buf.append(str(ch).replace("\xa0", " "))
            elif isinstance(ch, Tag):
                name = ch.name.lower()
                if name == "br":
                    flush()
                elif name in ("td", "th"):
                    flush()
                    walk(ch)
                    flush()
                elif name in _BLOCK:
                    flush()
                    walk(ch)
                    flush()
                else:
                    walk(ch)

    walk(el)
    flush()
    return lines


def read_html(path) -> Extract:
    """Text lines and tables of a saved web page (.html/.htm/.mhtml), page chrome dropped."""
    from bs4 import BeautifulSoup

    path = Path(path)
    text = _decode_html(_read_bytes(path), path.name)
    soup = BeautifulSoup(text, "lxml")
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    body = soup.body or soup
    total = len(body.get_text(strip=True))
    for el in body.find_all(True):
        if getattr(el, "decomposed", False):
            continue
        if el.attrs is not None and _is_chrome(el, total):
            el.decompose()
    extract = Extract()
    tables = [t for t in body.find_all("table") if not t.find("table")]  # innermost tables
    for t in tables:
        rows = _html_rows(t)
        if rows and max(len(r) for r in rows) > 1:
            extract.tables.append(rows)
    extract.lines = _block_lines(body)
    return extract


# ---------------------------------------------------------------------------
# Spreadsheets



def _fill_merged(rows: list[list[str]], ranges) -> None:
    for (r0, c0), (r1, c1) in ranges or []:
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            for c in range(c0, min(c1, len(rows[r]) - 1) + 1):
                rows[r][c] = value


def _openpyxl_merges(path: Path, name: str):
    try:
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=False)
        ws = wb[name]
        return [((m.min_row - 1, m.min_col - 1), (m.max_row - 1, m.max_col - 1))
                for m in ws.merged_cells.ranges]
    except Exception:  # noqa: BLE001 - merges are a refinement
        return []


_ODS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"


def _ods_merges(path: Path) -> dict[str, list]:
    """Merged ranges of an .ods (calamine does not report them): sheet -> [((r0, c0), (r1, c1))]."""
    from lxml import etree

    t = lambda tag: f"{{{_ODS_TABLE}}}{tag}"  # noqa: E731
    out: dict[str, list] = {}
    try:
        with zipfile.ZipFile(path) as z, z.open("content.xml") as f:
            for _ev, table in etree.iterparse(f, tag=t("table")):
                ranges, r = [], 0
                for row in table.iter(t("table-row")):
                    c = 0
                    for cell in row:
                        if cell.tag not in (t("table-cell"), t("covered-table-cell")):
                            continue
                        rs = int(cell.get(t("number-rows-spanned"), "1"))
                        cs = int(cell.get(t("number-columns-spanned"), "1"))
                        if rs > 1 or cs > 1:
                            ranges.append(((r, c), (r + rs - 1, c + cs - 1)))
                        c += int(cell.get(t("number-columns-repeated"), "1"))
                    r += int(row.get(t("number-rows-repeated"), "1"))
                out[table.get(t("name"))] = ranges
                table.clear()
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError, ValueError, OSError):
        return {}
    return out


def read_sheets(path) -> list[Sheet]:
    """Visible worksheets of an .xlsx/.xlsm/.xls/.ods/.et as rows of texts, merged cells filled."""
    import python_calamine as pc

    path = Path(path)
    data = _read_bytes(path)
    try:
        wb = pc.CalamineWorkbook.from_filelike(__import__("io").BytesIO(data))
    except Exception as e:  # noqa: BLE001 - calamine raises several kinds
        if "password" in str(e).lower() or type(e).__name__ == "PasswordError":
            raise InputError(f"「{path.name}」设置了打开密码，请先在 Excel/WPS 中取消密码后重试。") from None
        raise InputError(
            f"「{path.name}」不是有效的电子表格文件。"
            "请用 Excel/WPS 打开后另存为 .xlsx 再试。"
        ) from None
    sheets: list[Sheet] = []
    ods_merges = None
    for meta in wb.sheets_metadata:
        if str(meta.visible).endswith("Hidden") or str(meta.visible).endswith("VeryHidden"):
            continue
        if "WorkSheet" not in str(meta.typ):
            continue
        ws = wb.get_sheet_by_name(meta.name)
        try:
            raw = ws.to_python(skip_empty_area=False)
        except Exception:  # noqa: BLE001
            continue
        rows = [[cell_text(v) for v in r] for r in raw]
        ranges = ws.merged_cell_ranges
        if ranges is None and zipfile.is_zipfile(path):
            if ods_merges is None:
                ods_merges = _ods_merges(path) if data[30:80].find(b"opendocument") >= 0 else {}
            ranges = ods_merges.get(meta.name) or (
                _openpyxl_merges(path, meta.name) if not ods_merges else [])
        _fill_merged(rows, ranges)
        while rows and not any(rows[-1]):
            rows.pop()
        sheets.append(Sheet(meta.name, rows))
    return sheets
