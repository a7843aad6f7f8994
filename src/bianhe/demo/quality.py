"""The data-quality part of the demo (演示数据): the demo reporters explain the planted
implausible values before submitting, and the demo reviewers accept those explanations
before approving. :mod:`bianhe.demo.history` writes them, with their audit rows, as part of
each report's history; this module holds their texts."""

from __future__ import annotations

import zlib

EXPLANATIONS = (
    "（演示说明）已与企业统计台账核对，数据属实。",
    "（演示说明）当期有大宗订单集中报关，数值偏高属实。",
    "（演示说明）重点项目集中投产，已与统计部门核实。",
    "（演示说明）口岸通关政策调整后货运量集中释放，已核实。",
)


def explanation_text(report_id: int, indicator_code: str, member: str) -> str:
    """The demo explanation of one flagged cell: fixed by the report and the cell."""
    pick = zlib.crc32(f"{report_id}{indicator_code}{member}".encode()) % len(EXPLANATIONS)
    return EXPLANATIONS[pick]
