"""The form of a responsible unit's name (市公安局, 县妇联, 中共市委宣传部, 市数据资源管理局).

Units are recognised by form, never by a list: a name starts like an administrative level or a
party/league body and ends like an office. Readers use it to tell a unit cell cut by a page break
(市妇 | 联) from the next row's unit; the annex parsers use it to find where rows start.
"""

from __future__ import annotations

import re

UNIT_START = re.compile(r"^(中共|共青团|[市县区省州盟旗镇乡团])")
UNIT_END = re.compile(r"(局|委|办|联|部|院|会|厅|处|署|队|社|所|站|行|司|团|组|室|中心|公司)$")


def is_unit_name(text: str) -> bool:
    # One character is no name, though 团 both starts and ends names (团市委 cut as 团 | 市委).
    return len(text) >= 2 and bool(UNIT_START.search(text) and UNIT_END.search(text))


def continues_unit_name(before: str, after: str) -> bool:
    """Whether `after`, at the top of a new page, is the rest of the unit name `before` that the
    page break cut: the two read as one name, and they do not read as two names of their own."""
    if not before or not after:
        return False
    if not is_unit_name(before + after):
        return False
    return not (is_unit_name(before) and is_unit_name(after))
