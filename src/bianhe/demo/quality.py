"""The data-quality part of the demo (演示数据): the demo reporters explain the planted
implausible values before submitting, and the demo reviewers accept those explanations
before approving — through the same actions as the web pages."""

from __future__ import annotations

import zlib

from bianhe.audit.models import Source
from bianhe.quality.actions import do_accept_explanation, do_explain
from bianhe.quality.models import Explanation, ExplanationStatus, Severity

EXPLANATIONS = (
    "（演示说明）已与企业统计台账核对，数据属实。",
    "（演示说明）当期有大宗订单集中报关，数值偏高属实。",
    "（演示说明）重点项目集中投产，已与统计部门核实。",
    "（演示说明）口岸通关政策调整后货运量集中释放，已核实。",
)


def explain_flags(report, reporter) -> int:
    """Write an explanation on each warned cell that has none; returns how many."""
    explained = set(report.explanations.values_list("indicator_code", "member"))
    cells = sorted({(code, member) for code, member in report.flags.filter(
        severity=Severity.WARNING).values_list("indicator_code", "member")} - explained)
    for code, member in cells:
        pick = zlib.crc32(f"{report.pk}{code}{member}".encode()) % len(EXPLANATIONS)
        do_explain(reporter, report, code, member, EXPLANATIONS[pick], source=Source.SYSTEM)
    return len(cells)


def accept_explanations(report, reviewer) -> int:
    pending = list(Explanation.objects.filter(report=report,
                                              status=ExplanationStatus.PENDING))
    for explanation in pending:
        do_accept_explanation(reviewer, explanation, source=Source.SYSTEM)
    return len(pending)
