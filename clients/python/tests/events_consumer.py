"""Reads BMI's events from the JetStream stream with a durable consumer, as a Python service would: a node is
provisioned and deprovisioned, and the consumer gets every event of both jobs and the node's state changes. It
first takes a batch and "crashes" without acknowledging it; bound again under the same durable name, it gets
those messages again (at-least-once) and de-duplicates by message id. Prints one JSON line.

Environment: as provision_flow.py, plus BMI_NATS_URL (and BMI_NATS_USER, BMI_NATS_PASSWORD_FILE, BMI_NATS_TLS_CA
when the NATS server wants them).
"""

import json
import os
import time

from bmi.events.v1 import events_pb2
from bmi.haas.v1 import haas_pb2
from bmi.orchestrator.v1 import orchestrator_pb2 as pb
from bmi_client import Client, Credentials
from bmi_client.jetstream import JetStream

env = os.environ
project, node = env["BMI_PROJECT"], env["BMI_TEST_NODE"]
STREAM, DURABLE = "BMI_EVENTS", f"py-events-{node}"
ACK_WAIT = 2.0


def nats() -> JetStream:
    password = ""
    if env.get("BMI_NATS_PASSWORD_FILE"):
        with open(env["BMI_NATS_PASSWORD_FILE"]) as f:
            password = f.read().strip()
    url = env.get("BMI_NATS_URL", "nats://127.0.0.1:4222").split(",")[0]
    return JetStream(url, user=env.get("BMI_NATS_USER", ""), password=password, ca_file=env.get("BMI_NATS_TLS_CA", ""))


def bind(js: JetStream) -> dict:
    # Every BMI event from now on; unacknowledged ones come back after ACK_WAIT. A consumer nobody binds for two
    # minutes is removed by the server, should this script die before deleting it.
    return js.durable(STREAM, DURABLE, "bmi.>", deliver_policy="new", ack_wait=int(ACK_WAIT * 1e9),
                      inactive_threshold=int(120e9))


def run_jobs() -> list:
    client = lambda c: Client(env["BMI_ADDR"], env["BMI_IMAGE_ADDR"], c, ca_file=env["BMI_CA"])
    with client(Credentials(token=env["BMI_TEST_ADMIN_TOKEN"])) as admin:
        admin.orchestrator.RegisterNode(pb.RegisterNodeRequest(name=node, nics=[haas_pb2.Nic(label="eth0", mac=env["BMI_TEST_MAC"])]), timeout=30)
    with client(Credentials.from_env()) as member:
        job = member.orchestrator.ProvisionNode(pb.ProvisionNodeRequest(
            project=project, spec=pb.NodeSpec(node=node, image="golden"), options=pb.ProvisionOptions()), timeout=30).job
        member.wait_for_job(job.id, timeout=120)
        dpro = member.orchestrator.DeprovisionNode(pb.DeprovisionNodeRequest(
            project=project, node=node, delete_disk=True, release_node=True), timeout=30).job
        member.wait_for_job(dpro.id, timeout=120)
        return [job.id, dpro.id]


def mine(msg, jobs) -> bool:
    if msg.subject.startswith("bmi.job."):
        return events_pb2.JobEvent.FromString(msg.data).job_id in jobs
    return msg.subject == f"bmi.node.{node}.state"


js = nats()
bind(js)
jobs = run_jobs()

# A consumer that takes what is there and dies before acknowledging any of it.
first = []
until = time.monotonic() + 20
while len(first) < 3 and time.monotonic() < until:
    first += [m for m in js.fetch(STREAM, DURABLE, batch=50) if mine(m, jobs)]
js.abandon()

js = nats()
bind(js)
seen = {}
redelivered = set()
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    for msg in js.fetch(STREAM, DURABLE, batch=200, expires=ACK_WAIT):
        if mine(msg, jobs):
            if msg.deliveries > 1:
                redelivered.add(msg.msg_id)
            # At-least-once: the same event may come twice; its message id says so.
            seen.setdefault(msg.msg_id, msg)
        msg.ack()
    finished = {events_pb2.JobEvent.FromString(m.data).job_id for m in seen.values()
                if m.subject.startswith("bmi.job.") and events_pb2.JobEvent.FromString(m.data).WhichOneof("event") == "finished"}
    states = [events_pb2.NodeEvent.FromString(m.data).state for m in sorted(seen.values(), key=lambda m: m.stream_seq)
              if m.subject.startswith("bmi.node.")]
    if finished == set(jobs) and states and states[-1] == "NODE_STATE_DEPROVISIONED":
        break
js.flush()
js.delete_consumer(STREAM, DURABLE)
js.close()

by_job = {j: sorted(events_pb2.JobEvent.FromString(m.data).seq for m in seen.values()
                    if m.subject == f"bmi.job.{j}") for j in jobs}
for j, seqs in by_job.items():
    assert seqs == list(range(1, len(seqs) + 1)), (j, seqs)
assert finished == set(jobs), finished
assert states[0] == "NODE_STATE_PROVISIONING" and states[-1] == "NODE_STATE_DEPROVISIONED", states
assert first and {m.msg_id for m in first} <= redelivered, ([m.msg_id for m in first], redelivered)
print(json.dumps({"jobs": jobs, "events": {j: len(s) for j, s in by_job.items()}, "node_states": states,
                  "unacked_before_crash": len(first), "redelivered": len(redelivered)}))
