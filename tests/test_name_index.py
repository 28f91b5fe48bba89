"""NameIndex finds unit names in file names exactly as the regex alternation (longest first) did."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from zwgk_xl.core.units import NameIndex, load_directory, sample_directory_path
from zwgk_xl.merge.context import Context
from zwgk_xl.merge.identify import units_in_name


def regex_find(names, text: str) -> list[str]:
    """The former implementation: one alternation of every name, longest first (the empty name left out:
    the regex matched it between any two characters, the index matches it nowhere)."""
    ordered = sorted(dict.fromkeys(n for n in names if n), key=lambda n: -len(n))
    pattern = re.compile("|".join(map(re.escape, ordered)) or "(?!)")
    return [m.group(0) for m in pattern.finditer(text)]


def test_longest_leftmost_not_nested():
    index = NameIndex(["县财政局", "财政局", "县财政局国库科", "国库", "科"])
    assert index.find("县财政局国库科报送") == ["县财政局国库科"]
    assert index.find("关于财政局与县财政局的回复") == ["财政局", "县财政局"]
    assert index.find("国库科财政局") == ["国库", "科", "财政局"]
    assert index.find("") == [] and index.find("无关文字") == []


def test_cut_off_slice_and_empty_names():
    assert NameIndex(["ab", "abcd"]).find("xabc") == ["ab"]
    assert NameIndex(["abc", "abcd"]).find("xabc") == ["abc"]
    assert NameIndex([]).find("abc") == []
    assert NameIndex(["", "ab"]).find("xaby") == ["ab"] and NameIndex([""]).find("ab") == []
    special = ["-a", "]b", "^c", "\\d", "[e]", "a"]
    text = "x-a]b^c\\d[e]a-"
    assert NameIndex(special).find(text) == regex_find(special, text) == special


def _context(units, aliases=None, issuers=()):
    class Directory:
        def get(self, name):
            return type("Entry", (), {"name": name, "aliases": (aliases or {}).get(name, [])})()

    return Context(round="2021年第二季度", ledger_id="x", assigned={u: [] for u in units}, directory=Directory(),
                   issuers=frozenset(issuers))


def _regex_units(ctx, text):
    found = list(dict.fromkeys(ctx.unit_of_name[n] for n in regex_find(ctx.unit_of_name, text)))
    return sorted(found, key=lambda u: u in ctx.issuers) if len(found) > 1 else found


def test_units_in_name_aliases_and_issuer_last():
    ctx = _context(["县人民政府办公室", "县财政局", "县司法局"], aliases={"县财政局": ["财政局"]})
    assert units_in_name(ctx, "县人民政府办公室转县财政局报送") == ["县财政局", "县人民政府办公室"]
    assert units_in_name(ctx, "财政局-回复（县司法局代报）") == ["县财政局", "县司法局"]
    assert units_in_name(ctx, "") == [] and units_in_name(ctx, "落实情况") == []


def test_sample_directory_same_as_regex():
    directory = load_directory(sample_directory_path("county"))
    ctx = _context(directory.names, aliases={u.name: u.aliases for u in directory.units})
    names = list(ctx.unit_of_name)
    texts = [f"2021年第二季度_{a}{b}_落实情况填报表" for a in names[:40] for b in names[::7]]
    texts += [f"{n}({names[-1 - i]})回复" for i, n in enumerate(names)]
    for text in texts:
        assert units_in_name(ctx, text) == _regex_units(ctx, text)


_ALPHABET = "县市财政局司法办公室人民府"
_names = st.lists(st.text(alphabet=_ALPHABET, min_size=1, max_size=6), min_size=0, max_size=25)


@settings(max_examples=300, deadline=None)
@given(names=_names, data=st.data())
def test_same_as_regex_on_random_texts(names, data):
    pieces = st.one_of(st.sampled_from(names), st.text(alphabet=_ALPHABET + "_-年报", max_size=3)) if names \
        else st.text(alphabet=_ALPHABET, max_size=3)
    text = "".join(data.draw(st.lists(pieces, max_size=12)))
    assert NameIndex(names).find(text) == regex_find(names, text)


@settings(max_examples=100, deadline=None)
@given(names=st.lists(st.text(alphabet="ab", max_size=4), max_size=8), text=st.text(alphabet="abc", max_size=20))
def test_same_as_regex_tiny_alphabet(names, text):
    """Heavy overlap, one-character and empty names included."""
    assert NameIndex(names).find(text) == regex_find(names, text)
