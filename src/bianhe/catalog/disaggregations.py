"""Disaggregations: the breakdowns an indicator may be reported by, and their members.

The member code "" is the total. Partner countries follow article (一) of the notice.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

TOTAL = ""

DISAGGREGATIONS: dict[str, dict] = {
    "partner_country": {
        "label": _("Partner country"),
        "members": [
            ("RU", "俄罗斯", "Russia"),
            ("MN", "蒙古国", "Mongolia"),
            ("KZ", "哈萨克斯坦", "Kazakhstan"),
            ("VN", "越南", "Vietnam"),
            ("MM", "缅甸", "Myanmar"),
            ("LA", "老挝", "Laos"),
            ("KP", "朝鲜", "DPRK"),
            ("OTHER", "其他", "Other"),
        ],
    },
    "enterprise_size": {
        "label": _("Enterprise size"),
        "members": [
            ("LARGE", "大型", "Large"),
            ("MEDIUM", "中型", "Medium"),
            ("SMALL", "小型", "Small"),
            ("MICRO", "微型", "Micro"),
        ],
    },
}


def members(disaggregation: str) -> list[str]:
    """Member codes of a disaggregation; [TOTAL] for an indicator without one."""
    if not disaggregation:
        return [TOTAL]
    return [code for code, _zh, _en in DISAGGREGATIONS[disaggregation]["members"]]


def member_label(disaggregation: str, code: str) -> str:
    if not code:
        return ""
    for member, zh, _en in DISAGGREGATIONS.get(disaggregation, {}).get("members", []):
        if member == code:
            return zh
    return code
