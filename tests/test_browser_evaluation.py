"""The evaluation in a real browser: the ministry starts a run from the page, a worker
process computes it while the page follows, the ministry publishes it, and a zone reporter
opens its own scorecard from the menu."""

from __future__ import annotations

import pytest

from browser_support import require_chromium
from personas import PASSWORD

require_chromium()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_the_ministry_runs_and_publishes_an_evaluation_and_a_zone_opens_its_scorecard(
        live_server, people, catalogue, browser):
    from bianhe.audit.models import AuditLog
    from bianhe.evaluation.models import EvaluationRun, ZoneResult
    from bianhe.evaluation.presenting import whole
    from evaluation_support import YEAR, save_scheme, seed_accepted
    from jobs_support import worker_process

    seed_accepted()
    scheme = save_scheme()
    base = live_server.url
    failed = []
    page = browser.new_page(locale="zh-CN")
    page.on("requestfailed", lambda request: failed.append(request.url))
    _login(page, base, people["ministry_admin"].username)
    page.click("#nav-evaluation")
    page.wait_for_selector("#start-form")
    page.select_option("#id_scheme", str(scheme.pk))
    page.select_option("#id_year", str(YEAR))
    page.fill("#id_label", "正式")
    page.fill("#id_replications", "200")
    page.click("#start-form button[type=submit]")
    page.wait_for_selector("#run-progress")
    run = EvaluationRun.objects.get(label="正式")
    assert page.url == f"{base}/evaluation/runs/{run.pk}/"

    worker = worker_process("--batch")
    output, _ = worker.communicate(timeout=300)
    assert worker.returncode == 0, output
    # The page polls its progress and reloads itself with the results.
    page.wait_for_selector("#ranking", timeout=30_000)
    page.wait_for_selector("#rank-bands canvas")
    first = ZoneResult.objects.get(run=run, rank=1)
    row = page.locator(f'#ranking tr[data-code="{first.zone.code}"]')
    assert row.locator("td").nth(0).inner_text() == "第1名"
    low, high = whole(first.rank_p5), whole(first.rank_p95)
    assert row.locator("td.band").inner_text() == (f"第{low}—{high}名" if low != high
                                                   else f"第{low}名")

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#publish-form button")
    page.wait_for_selector("#run-status .published")
    run.refresh_from_db()
    assert run.is_published
    assert AuditLog.objects.filter(action="evaluation.run.publish", object_id=str(run.pk),
                                   actor=people["ministry_admin"]).count() == 1

    reporter = browser.new_page(locale="zh-CN")
    reporter.on("requestfailed", lambda request: failed.append(request.url))
    _login(reporter, base, people["pingxiang_reporter"].username)
    reporter.click("#nav-my-evaluation")
    reporter.wait_for_url(f"{base}/evaluation/runs/{run.pk}/zones/BECZ-GX-01/")
    own = ZoneResult.objects.get(run=run, zone__code="BECZ-GX-01")
    assert reporter.locator("#rank").inner_text() == f"第{own.rank}名"
    band = reporter.locator("#rank-band")
    assert band.is_visible()
    low, high = whole(own.rank_p5), whole(own.rank_p95)
    assert band.inner_text() == "5%—95%区间：" + (f"第{low}—{high}名" if low != high
                                                  else f"第{low}名")
    reporter.wait_for_selector("#pillar-radar canvas")
    reporter.wait_for_selector("#contributions canvas")
    # The reporter sees its own row and the medians, and no other zone's result.
    reporter.goto(f"{base}/evaluation/runs/{run.pk}/")
    codes = reporter.locator("#ranking tbody tr").evaluate_all(
        "rows => rows.map(row => row.dataset.code)")
    assert codes == ["BECZ-GX-01"]
    assert reporter.locator("#medians").is_visible()
    assert not failed
