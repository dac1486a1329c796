"""BMI's Python client: the generated stubs (package `bmi`, from proto/) and this thin layer over them.

    from bmi_client import Client, Credentials
    from bmi.orchestrator.v1 import orchestrator_pb2 as pb

    with Client("bmi.example:50050", "bmi.example:50051", Credentials(token="..."), ca_file="ca.crt") as bmi:
        job = bmi.orchestrator.ProvisionNode(pb.ProvisionNodeRequest(project="p1", spec=pb.NodeSpec(node="n1", image="centos7")), timeout=30).job
        bmi.wait_for_job(job.id, timeout=600, on_event=print)
"""

from .client import Client
from .credentials import Credentials, secure_channel
from .jobs import FINAL_STATES, JobFailed, wait_for_job, watch_job

__all__ = ["Client", "Credentials", "FINAL_STATES", "JobFailed", "secure_channel", "wait_for_job", "watch_job"]
