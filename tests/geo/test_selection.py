"""--where and --by specs (geo.selection): parsing, one-line errors, masks on Arrow arrays."""

from __future__ import annotations

import pyarrow as pa
import pytest

from geo.errors import InputDataError, ParameterError
from geo.selection import By, Selection, Where, check_columns, parse_by, parse_where


def test_equality_and_prefix_filters() -> None:
    assert parse_where("naf=62.01Z,62.02A") == Where("naf", "=", ("62.01Z", "62.02A"))
    assert parse_where("naf^=62") == Where("naf", "^=", ("62",))
    assert parse_where("a b = x=y") == Where("a b", "=", (" x=y",))
    values = pa.array(["62.01Z", "62.02A", "47.11B", None, "620"])
    assert parse_where("naf=62.01Z,62.02A").mask(values).tolist() == [1, 1, 0, 0, 0]
    assert parse_where("naf^=62,47").mask(values).tolist() == [1, 1, 1, 0, 1]
    assert parse_where("naf^=62.").mask(values).tolist() == [1, 1, 0, 0, 0]


def test_filters_compare_text_even_on_number_columns() -> None:
    assert parse_where("code=6000").mask(pa.array([6000, 6001, None])).tolist() == [1, 0, 0]


@pytest.mark.parametrize("spec", ["naf", "=62", "^=62", "naf=", "naf^=", "naf=62,,63"])
def test_bad_filters_are_one_line_errors(spec: str) -> None:
    with pytest.raises(ParameterError) as caught:
        parse_where(spec)
    assert "\n" not in str(caught.value) and str(caught.value).startswith("where ")
    assert caught.value.lines({"where": "--where"})[0].startswith("--where ")


def test_groupings_by_column_or_by_prefix() -> None:
    assert parse_by("naf") == By("naf")
    assert parse_by("naf:2") == By("naf", 2)
    assert parse_by("time:12", columns=["time:12"]) == By("time:12")
    labels = parse_by("naf:2").labels(pa.array(["62.01Z", "4", None]))
    assert labels.to_pylist() == ["62", "4", ""]
    with pytest.raises(ParameterError, match="at least 1 character"):
        parse_by("naf:0")
    with pytest.raises(ParameterError, match="COLUMN or COLUMN:N"):
        parse_by("  ")


def test_unknown_columns_are_named_at_once() -> None:
    selection = Selection(where=(parse_where("naf^=62"), parse_where("cp=75001")), by=By("x"))
    assert selection.columns == ["naf", "cp", "x"]
    assert selection.label == "naf^=62 and cp=75001"
    with pytest.raises(
        InputDataError, match=r"^no column named 'cp', 'x' for where/by; columns: 'naf'"
    ):
        check_columns(["naf", "lat", "lon"], selection)


@pytest.mark.parametrize("spec", ["cat:9223372036854775808", "cat:1001", "cat:" + "9" * 5000])
def test_by_n_beyond_1000_characters_is_refused(spec: str) -> None:
    with pytest.raises(ParameterError, match=r"N must be at most 1,000 characters$"):
        parse_by(spec)
    assert parse_by("cat:1000").width == 1000
    assert parse_by("cat:0001").width == 1


def test_a_grouping_beyond_max_categories_is_refused() -> None:
    selection = Selection(by=parse_by("cat"), max_categories=3)
    selection.check_categories(3)
    with pytest.raises(InputDataError, match="makes more categories than the limit of 3"):
        selection.check_categories(4)
