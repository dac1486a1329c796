"""Following a job: its events as they happen, and waiting for its end."""

from __future__ import annotations

import time
from typing import Callable, Iterator, Optional

import grpc

from bmi.events.v1 import events_pb2
from bmi.orchestrator.v1 import orchestrator_pb2 as pb
from bmi.orchestrator.v1.orchestrator_pb2_grpc import OrchestratorStub

FINAL_STATES = (pb.JOB_STATE_SUCCEEDED, pb.JOB_STATE_FAILED, pb.JOB_STATE_CANCELLED, pb.JOB_STATE_PARTIAL)


class JobFailed(Exception):
    """The job ended FAILED, PARTIAL or CANCELLED; `job` is its final record.

    Its `error`, each step's, and for a bulk job `failures`: every node that failed or was cancelled, and why.
    """

    def __init__(self, job: pb.Job) -> None:
        super().__init__(f"job {job.id} {pb.JobState.Name(job.state)}: {job.error or 'no error recorded'}")
        self.job = job


def watch_job(
    orchestrator: OrchestratorStub, job_id: str, *, from_start: bool = True, deadline: Optional[float] = None,
) -> Iterator[events_pb2.JobEvent]:
    """Every event of the job, in order (seq), until the job has ended.

    WatchJob ends its stream when the job ends. When the stream breaks (an orchestrator restarting, UNAVAILABLE) or
    the orchestrator has too many watchers (RESOURCE_EXHAUSTED), it watches again from the start and skips what it
    already gave, so each seq comes once. `deadline` is a time.monotonic() value; past it grpc's DEADLINE_EXCEEDED
    is raised.
    """
    last_seq = 0
    replay = from_start
    while True:
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            for response in orchestrator.WatchJob(pb.WatchJobRequest(id=job_id, from_start=replay), timeout=timeout):
                event = response.event
                if event.seq <= last_seq:
                    continue
                last_seq = event.seq
                yield event
        except grpc.RpcError as err:
            if err.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED):
                raise
            time.sleep(0.5)
        job = orchestrator.GetJob(pb.GetJobRequest(id=job_id), timeout=timeout).job
        if job.state in FINAL_STATES:
            return
        # Watching again must not miss what happened in between, whatever the caller asked first.
        replay = True


def wait_for_job(
    orchestrator: OrchestratorStub,
    job_id: str,
    *,
    timeout: Optional[float] = None,
    on_event: Optional[Callable[[events_pb2.JobEvent], None]] = None,
) -> pb.Job:
    """Follows the job to its end and answers its final record; raises JobFailed unless it SUCCEEDED."""
    deadline = None if timeout is None else time.monotonic() + timeout
    for event in watch_job(orchestrator, job_id, deadline=deadline):
        if on_event is not None:
            on_event(event)
    remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
    job = orchestrator.GetJob(pb.GetJobRequest(id=job_id), timeout=remaining).job
    if job.state != pb.JOB_STATE_SUCCEEDED:
        raise JobFailed(job)
    return job
