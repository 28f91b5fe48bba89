"""Row heights: one estimate, whether a row is sized alone or with many."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from zwgk_xl.core.xlsxfit import MAX_ROW_HEIGHT, row_height, row_heights

cells = st.one_of(st.none(), st.integers(0, 99), st.text(alphabet="政务公开abc 12\n，。", max_size=150))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(cells, max_size=7), max_size=40), st.lists(st.integers(4, 60), min_size=1, max_size=6))
def test_row_heights_equal_row_height_of_each_row(rows, widths):
    rows = rows + rows[:5]  # texts repeated down the columns, as task titles are
    assert row_heights(rows, widths, line=14, margin=1.5, pad=4) == [
        row_height(r, widths, line=14, margin=1.5, pad=4) for r in rows]


def test_heights_grow_with_wrapped_lines_and_stop_at_excels_maximum():
    short, long = row_height(["公开"], [20]), row_height(["公开" * 40], [20])
    assert short == 13.5 + 3 and long > 5 * short
    assert row_height(["第一行\n第二行\n第三行"], [20]) == 3 * 13.5 + 3
    assert row_height(["字" * 100000], [10]) == MAX_ROW_HEIGHT


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6).flatmap(lambda w: st.tuples(
    st.lists(st.lists(cells, min_size=w, max_size=w), min_size=1, max_size=40),
    st.lists(st.integers(1, 60), min_size=1, max_size=w))))
def test_row_heights_of_a_table_measured_by_columns(table):
    rows, widths = table  # every row as wide as the table: the columns are taken at once
    rows = rows + rows[:5]
    assert row_heights(rows, widths) == [row_height(r, widths) for r in rows]
