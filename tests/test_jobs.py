"""Background jobs: a real worker (the database backend's, in a `bianhe worker` process or in
this process) runs them; a killed worker's job fails once its heartbeat expires and runs
again; the RQ backend once against Redis when BIANHE_TEST_REDIS_URL is set; a job is its
owner's (and the administrators'), 404 for everybody else."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import signal
import time

import pytest
from django.test import override_settings
from django.utils import timezone

from bianhe.audit.models import AuditLog
from bianhe.jobs.actions import do_rerun_job, do_start_job
from bianhe.jobs.models import Job, JobState
from bianhe.jobs.runner import execute, mark_stalled, stall_after
from bianhe.reporting.actions import do_save_values
from jobs_support import run_queued_jobs, worker_env, worker_process
from personas import make_user

REDIS_URL = os.environ.get("BIANHE_TEST_REDIS_URL", "")


def wait_for(condition, what: str, seconds: float = 90):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.05)


def state(job) -> str:
    return Job.objects.get(pk=job.pk).state


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_runs_a_queued_job_and_the_page_follows_it(client, registry):
    admin = make_user("ministry_admin")
    job = do_start_job(admin, "jobs.probe", {"steps": 3})
    assert AuditLog.objects.filter(action="jobs.job.start", object_id=str(job.pk)).exists()
    client.force_login(admin)
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'data-state="queued"' in page and 'hx-trigger="every 1s"' in page
    assert Job.objects.get(pk=job.pk).task_id  # handed to the queue once committed
    worker = worker_process("--batch")
    output, _ = worker.communicate(timeout=120)
    assert worker.returncode == 0, output
    job.refresh_from_db()
    assert (job.state, job.steps_done, job.steps_total, job.result) == (
        JobState.DONE, 3, 3, {"steps": 3})
    fragment = client.get(f"/jobs/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert fragment.strip().startswith("<div") and "<html" not in fragment  # the fragment alone
    assert 'data-state="done"' in fragment and "hx-trigger" not in fragment


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_leaves_the_job_failed_and_a_rerun_completes(client, registry):
    admin = make_user("ministry_admin")
    job = do_start_job(admin, "jobs.probe", {"steps": 20, "pause": 0.1})
    worker = worker_process()
    try:
        wait_for(lambda: Job.objects.get(pk=job.pk).steps_done >= 1, "the first step")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and job.steps_done < 20  # nobody told the row
    assert mark_stalled() == 0  # the heartbeat is still fresh
    assert mark_stalled(now=job.heartbeat_at + stall_after() + dt.timedelta(seconds=1)) == 1
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "stalled" in job.error
    client.force_login(admin)
    response = client.post(f"/jobs/{job.pk}/rerun/")
    again = Job.objects.get(rerun_of=job)
    assert response["Location"] == f"/jobs/{again.pk}/"
    assert again.params == job.params and again.state == JobState.QUEUED
    worker = worker_process("--batch")
    output, _ = worker.communicate(timeout=120)
    assert worker.returncode == 0, output
    assert (state(again), Job.objects.get(pk=again.pk).steps_done) == (JobState.DONE, 20)
    assert state(job) == JobState.FAILED


@pytest.mark.django_db(transaction=True)
def test_the_rq_backend_runs_a_job_through_redis(registry):
    if not REDIS_URL:
        pytest.skip("BIANHE_TEST_REDIS_URL is not set: the Redis (RQ) backend is not tested "
                    "here; .ci/run sets it")
    import django_rq

    rq = {"TASKS": {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}},
          "RQ_QUEUES": {"default": {"URL": REDIS_URL}}}
    with override_settings(**rq):
        django_rq.get_queue("default").empty()
        job = do_start_job(make_user("ministry_admin"), "jobs.probe", {"steps": 2})
        assert django_rq.get_queue("default").count == 1
    env = worker_env(BIANHE_TASKS_BACKEND="rq", BIANHE_REDIS_URL=REDIS_URL)
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "bianhe.cli", "worker", "--batch"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    job.refresh_from_db()
    assert (job.state, job.steps_done) == (JobState.DONE, 2)


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_queue_fails_the_job_at_once_with_the_reason(registry):
    rq = {"TASKS": {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}},
          "RQ_QUEUES": {"default": {"URL": "redis://127.0.0.1:1/0"}}}
    with override_settings(**rq):
        job = do_start_job(make_user("ministry_admin"), "jobs.probe", {"steps": 1})
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "queue is unreachable" in job.error


@pytest.mark.django_db(transaction=True)
def test_the_value_history_export_is_a_job_with_a_scoped_download(client, registry,
                                                                   open_month):
    admin = make_user("ministry_admin")
    for zone in ("BECZ-GX-01", "BECZ-XJ-01"):
        assert do_save_values(admin, [{"zone": zone, "period": open_month.code,
                                       "indicator": "EXPORT", "value": "3"}]).ok
    reviewer = make_user("xinjiang_reviewer")
    client.force_login(reviewer)
    response = client.post("/reporting/changes/export/")
    job = Job.objects.get(kind="reporting.value_history")
    assert response["Location"] == f"/jobs/{job.pk}/" and job.owner == reviewer
    assert client.get(f"/jobs/{job.pk}/download/").status_code == 404  # not done yet
    run_queued_jobs()
    job.refresh_from_db()
    assert (job.state, job.result) == (JobState.DONE, {"rows": 1})
    assert "/download/" in client.get(f"/jobs/{job.pk}/").content.decode()
    download = client.get(f"/jobs/{job.pk}/download/")
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["zone"], r["indicator"], r["new_value"]) for r in rows] == [
        ("BECZ-XJ-01", "EXPORT", "3")]
    assert 'filename="bianhe-value-history.csv"' in download["Content-Disposition"]
    # Someone else, even an analyst who sees every zone, does not learn the job exists.
    client.force_login(make_user("ministry_analyst"))
    for url in (f"/jobs/{job.pk}/", f"/jobs/{job.pk}/download/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/jobs/{job.pk}/rerun/").status_code == 404
    assert str(job.pk) not in client.get("/jobs/").content.decode().split('data-job="')[-1][:8]
    client.force_login(admin)  # the administrators see every job
    assert client.get(f"/jobs/{job.pk}/download/").status_code == 200


def test_only_the_owner_and_administrators_reach_a_job(people):
    job = do_start_job(people["xinjiang_reviewer"], "reporting.value_history", {},
                       queue=False)
    assert list(Job.objects.restrict(people["xinjiang_reviewer"])) == [job]
    assert list(Job.objects.restrict(people["ministry_admin"])) == [job]
    for other in ("ministry_analyst", "pingxiang_reporter", "northeast_observer"):
        assert not Job.objects.restrict(people[other]).exists(), other
    from bianhe.access import NotInScope

    with pytest.raises(NotInScope):
        do_rerun_job(people["ministry_analyst"], job)
    with pytest.raises(NotInScope):  # the probe is the administrators' only
        do_start_job(people["ministry_analyst"], "jobs.probe", {})


def test_a_stalled_quality_run_fails_with_its_job_and_a_new_run_may_start(people, catalogue):
    from django.core.exceptions import ValidationError

    from bianhe.quality.actions import do_queue_run
    from bianhe.quality.models import JobState as RunState
    from bianhe.quality.models import QualityRun

    admin = people["ministry_admin"]
    run = do_queue_run(admin, "2024M01", "2024M03", queue=False)
    long_ago = timezone.now() - stall_after() - dt.timedelta(seconds=5)
    # The worker claimed the job, wrote one heartbeat and died.
    Job.objects.filter(pk=run.job.pk).update(state=JobState.RUNNING,
                                             heartbeat_at=timezone.now())
    QualityRun.objects.filter(pk=run.pk).update(state=RunState.RUNNING)
    assert run.job.params == {"run": run.pk, "from": "2024M01", "to": "2024M03"}
    with pytest.raises(ValidationError):  # its heartbeat is fresh: still running
        do_queue_run(admin, "2024M01", "2024M03", queue=False)
    Job.objects.filter(pk=run.job.pk).update(heartbeat_at=long_ago)
    again = do_queue_run(admin, "2024M01", "2024M03", queue=False)  # marks the stalled one
    assert QualityRun.objects.get(pk=run.pk).state == RunState.FAILED
    assert "stalled" in QualityRun.objects.get(pk=run.pk).error
    execute(again.job.pk)
    assert QualityRun.objects.get(pk=again.pk).state == RunState.DONE


def _children(pid: int) -> set[int]:
    path = f"/proc/{pid}/task/{pid}/children"
    with open(path) as handle:
        return {int(child) for child in handle.read().split()}


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.django_db(transaction=True)
def test_serve_starts_a_worker_and_stops_it_with_the_server(registry):
    import socket
    import subprocess
    import sys

    if not os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children"):
        pytest.skip("needs Linux's /proc to find the server's child processes")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "bianhe.cli", "serve", "--bind",
                               f"127.0.0.1:{port}", "--workers", "1"], env=worker_env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        job = do_start_job(make_user("ministry_admin"), "jobs.probe", {"steps": 2})
        wait_for(lambda: state(job) == JobState.DONE, "the worker of `bianhe serve`")
        children = _children(server.pid)
        assert len(children) >= 2  # the web worker and the job worker
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0
        wait_for(lambda: not any(_alive(pid) for pid in children), "the children to stop", 30)
    finally:
        if server.poll() is None:
            server.kill()


@pytest.mark.django_db(transaction=True)
def test_a_page_writing_during_the_export_does_not_lock_the_job_out(registry, open_month,
                                                                    monkeypatch):
    """On SQLite a connection that still holds an open read cannot write once another
    connection has written ("database is locked"): the export reads whole chunks before it
    writes progress, so a page view's write meanwhile (a session, a login) does no harm."""
    import itertools
    import sqlite3

    from django.db import connection

    from bianhe.reporting import history_export

    if connection.vendor != "sqlite" or connection.settings_dict["NAME"] == ":memory:":
        pytest.skip("the lock is SQLite's, on a database file another connection can open")
    admin = make_user("ministry_admin")
    for zone in ("BECZ-GX-01", "BECZ-GX-02", "BECZ-XJ-01", "BECZ-XJ-02", "BECZ-YN-01"):
        assert do_save_values(admin, [{"zone": zone, "period": open_month.code,
                                       "indicator": "EXPORT", "value": "3"}]).ok
    monkeypatch.setattr(history_export, "CHUNK", 2)
    path = str(connection.settings_dict["NAME"])
    reading = history_export.rows

    pages = itertools.count()

    def rows_while_a_page_writes(changes):
        for row in reading(changes):
            other = sqlite3.connect(path, timeout=1)  # another process's connection
            other.execute("INSERT INTO django_session (session_key, session_data, expire_date)"
                          " VALUES (?, '', '2099-01-01')", (f"page-{next(pages)}",))
            other.commit()
            other.close()
            yield row

    monkeypatch.setattr(history_export, "rows", rows_while_a_page_writes)
    job = do_start_job(admin, "reporting.value_history", {}, queue=False)
    job = execute(job.pk)
    assert (job.state, job.result) == (JobState.DONE, {"rows": 5})
