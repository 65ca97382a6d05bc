"""Small readers of the dashboard's server-rendered HTML for the dashboard tests."""

from __future__ import annotations

import re


def row_of(page: str, order_id: int) -> str:
    """The overview table's row of one parent order ('' when it is not listed)."""
    match = re.search(rf'<tr data-order-id="{order_id}".*?</tr>', page, re.S)
    return match.group(0) if match else ""


def listed_ids(page: str) -> set[int]:
    return {int(i) for i in re.findall(r'<tr data-order-id="(\d+)"', page)}


def cell(row: str, field: str) -> str:
    """The text of a row's data-field cell, tags stripped and whitespace squeezed."""
    match = re.search(rf'<td[^>]*data-field="{field}"[^>]*>(.*?)</td>', row, re.S)
    assert match, f"no {field} cell in the row"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def element(page: str, element_id: str) -> str:
    """The opening tag of the element with this id."""
    match = re.search(rf'<[a-z]+[^>]*\bid="{element_id}"[^>]*>', page, re.S)
    return match.group(0) if match else ""
