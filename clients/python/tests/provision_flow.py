"""Drives a running BMI from Python as another service would: register a node (admin, Bearer), upload an image,
provision the node and follow its job's events to the end, deprovision it (a member, Basic). Prints one JSON line.

Environment: BMI_ADDR, BMI_IMAGE_ADDR, BMI_CA, BMI_PROJECT, BMI_USER/BMI_PASSWORD (a member of BMI_PROJECT),
BMI_TEST_ADMIN_TOKEN, BMI_TEST_OUTSIDER_TOKEN (a member of another project), BMI_TEST_NODE, BMI_TEST_MAC.
"""

import json
import os
import sys

import grpc

from bmi.haas.v1 import haas_pb2
from bmi.orchestrator.v1 import orchestrator_pb2 as pb
from bmi_client import Client, Credentials

env = os.environ
project, node = env["BMI_PROJECT"], env["BMI_TEST_NODE"]


def client(credentials: Credentials) -> Client:
    return Client(env["BMI_ADDR"], env["BMI_IMAGE_ADDR"], credentials, ca_file=env["BMI_CA"])


def check_events(events, job_id):
    """One job's events as WatchJob gave them: seq 1, 2, 3, ... from `created` to `finished`."""
    assert [e.seq for e in events] == list(range(1, len(events) + 1)), [e.seq for e in events]
    assert all(e.job_id == job_id for e in events)
    assert events[0].WhichOneof("event") == "created", events[0]
    assert events[-1].WhichOneof("event") == "finished" and events[-1].finished.state == "JOB_STATE_SUCCEEDED", events[-1]
    return [e.step_succeeded.step for e in events if e.WhichOneof("event") == "step_succeeded"]


with client(Credentials(token=env["BMI_TEST_ADMIN_TOKEN"])) as admin:
    admin.orchestrator.RegisterNode(pb.RegisterNodeRequest(name=node, nics=[haas_pb2.Nic(label="eth0", mac=env["BMI_TEST_MAC"])]), timeout=30)

with client(Credentials.from_env()) as member:
    image = member.upload_image(project, "py-golden", b"BMI-GOLDEN-IMAGE".ljust(1 << 20, b"\0"), timeout=60)
    options = pb.ProvisionOptions(power_cycle=False, wait_for_boot=False)
    job = member.orchestrator.ProvisionNode(pb.ProvisionNodeRequest(
        project=project, spec=pb.NodeSpec(node=node, image="py-golden", network="net1"), options=options), timeout=30).job
    events = []
    done = member.wait_for_job(job.id, timeout=120, on_event=events.append)
    steps = check_events(events, job.id)
    provisioned = member.orchestrator.GetNode(pb.GetNodeRequest(node=node), timeout=30).provisioned
    assert provisioned.state == pb.NODE_STATE_READY and provisioned.image == f"{project}/py-golden", provisioned

    # Another project's job is NOT_FOUND, never PERMISSION_DENIED: BMI's errors reach Python as grpc status codes.
    with client(Credentials(token=env["BMI_TEST_OUTSIDER_TOKEN"])) as outsider:
        try:
            outsider.orchestrator.GetJob(pb.GetJobRequest(id=job.id), timeout=30)
            sys.exit("an outsider read the job")
        except grpc.RpcError as err:
            assert err.code() == grpc.StatusCode.NOT_FOUND, err

    dpro = member.orchestrator.DeprovisionNode(pb.DeprovisionNodeRequest(
        project=project, node=node, delete_disk=True, release_node=True), timeout=30).job
    dpro_events = []
    member.wait_for_job(dpro.id, timeout=120, on_event=dpro_events.append)
    check_events(dpro_events, dpro.id)
    left = member.orchestrator.ListProvisioned(pb.ListProvisionedRequest(project=project), timeout=30).nodes
    assert not [n for n in left if n.node == node], left

disk = next(s.outputs["disk"] for s in done.steps if s.name == "disk")
print(json.dumps({"provision": job.id, "deprovision": dpro.id, "disk": disk,
                  "image": image.name, "steps": steps, "events": len(events), "deprovision_events": len(dpro_events)}))
