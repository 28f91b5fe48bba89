"""The parser's fast paths give what the slow scans they skip would give.

Each guard skips a regex scan when the text lacks something every match of
that regex contains; these properties check that claim for each guard.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from zwgk_xl.parse import clauses, deadlines, normalize
from zwgk_xl.parse.dispatch import parse_path
from zwgk_xl.parse import text as text_mod
from zwgk_xl.parse.text import parse_text

_DATE_WORDS = ["2021", "2020年", "年", "月", "日", "底", "末", "前", "内", "以前", "之前", "止", "年底", "年末", "年内",
               "年度内", "上半年", "下半年", "第三季度", "4季度", "季度", "10", "6", "31", " ", ".", "-", "/", "完成",
               "。", "长期坚持", "持续推进", "常态化推进", "中旬", "份", "度", "牵头", "("]
date_texts = st.lists(st.sampled_from(_DATE_WORDS), max_size=14).map("".join)
wide_texts = st.text(alphabet="".join(normalize._WIDTH) + "政务公开(),;: a1", max_size=60)


@settings(max_examples=300, deadline=None)
@given(wide_texts)
def test_fold_width_equals_translating_every_character(text):
    assert normalize.fold_width(text) == text.translate(str.maketrans(normalize._WIDTH))


@settings(max_examples=500, deadline=None)
@given(date_texts)
def test_each_date_pattern_matches_only_where_its_guard_holds(text):
    for i, pat in enumerate(deadlines._DATE_PATTERNS):
        for m in pat.finditer(text):
            assert re.search("[-./]", m.group(0)) if i == deadlines._SEPARATED else "月" in m.group(0)
    for m in deadlines._YEAR_END.finditer(text):
        assert any(w in m.group(0) for w in ("年底", "年末", "年内", "年度内"))
    assert all("半年" in m.group(0) for m in deadlines._HALF.finditer(text))
    assert all("季度" in m.group(0) for m in deadlines._QUARTER.finditer(text))
    assert all(deadlines._YEAR_ONLY_HINT.search(m.group(0)) for m in deadlines._YEAR_ONLY.finditer(text))
    inner = text.strip()
    if clauses._DEADLINE_IN_CLAUSE.search(inner):
        assert inner[-1:] in clauses._DEADLINE_LAST


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="规划(guīhuà)乡xiāng镇zhèn ü)", max_size=40))
def test_pinyin_is_stripped_only_where_a_toned_vowel_is(text):
    assert all(normalize._TONED_CHAR.search(m.group(0)) for m in normalize.PINYIN.finditer(text))
    assert normalize.strip_pinyin(text) == normalize.PINYIN.sub("", text)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["。", ";", ")", "!", " ", "\n", "一、", "(二)", "3.", "12、", "(4)", "1.5", "公开", "x"]),
                max_size=20).map("".join))
def test_the_inline_marker_hint_is_found_wherever_a_marker_is(text):
    if text_mod._INLINE_MARKER.search(text):
        assert text_mod._INLINE_HINT.search(text)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["。", " ", "\n", "责任单位", "完成时限", "牵头部门", ":", "A局", "2021年"]), max_size=12).map("".join))
def test_the_labels_after_a_full_stop_hint_is_found_wherever_they_are(text):
    if clauses._LABELS_AFTER_STOP.search(text):
        assert clauses._LABELS_AFTER_STOP_HINT.search(text)


def test_a_txt_file_parses_as_its_text(tmp_path):
    """parse_path hands its normalised text on; the result is parse_text's."""
    text = ("2021年政务公开工作要点\n一、推进决策公开\n(一)做好规划公开。2021年6月底前完成。(县发改局牵頭,各部門配合)\n"
            "(二)推進政策解讀。年內完成。(縣政府辦公室負責)\n")
    src = tmp_path / "要点.txt"
    src.write_text(text, encoding="utf-8")
    assert parse_path(src).to_dict() == parse_text(text, source=src.name).to_dict()
