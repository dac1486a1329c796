"""One BMI as a Python caller sees it: the orchestrator (jobs, nodes) and image-service (the image library)."""

from __future__ import annotations

import hashlib
import os
from typing import Iterator, Mapping, Optional

from bmi.image.v1 import image_pb2
from bmi.image.v1.image_pb2_grpc import ImageServiceStub
from bmi.orchestrator.v1 import orchestrator_pb2
from bmi.orchestrator.v1.orchestrator_pb2_grpc import OrchestratorStub

from .credentials import Credentials, secure_channel
from .jobs import wait_for_job

CHUNK = 1 << 20


class Client:
    """Stubs of the orchestrator (`orchestrator`) and image-service (`images`) over TLS with one caller's credentials.

    Calls are the generated stubs' own (`client.orchestrator.ProvisionNode(request, timeout=30)`); a refused call
    raises grpc.RpcError with BMI's status codes (docs/api.md). Close it, or use it in a `with` block.
    """

    def __init__(
        self,
        address: str = "127.0.0.1:50050",
        image_address: str = "127.0.0.1:50051",
        credentials: Credentials = Credentials(),
        *,
        ca: Optional[bytes] = None,
        ca_file: Optional[str] = None,
        server_name: Optional[str] = None,
    ) -> None:
        tls = dict(ca=ca, ca_file=ca_file, server_name=server_name)
        self._channels = [secure_channel(address, credentials, **tls), secure_channel(image_address, credentials, **tls)]
        self.orchestrator = OrchestratorStub(self._channels[0])
        self.images = ImageServiceStub(self._channels[1])

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "Client":
        """BMI_ADDR, BMI_IMAGE_ADDR, BMI_CA and BMI_TOKEN or BMI_USER/BMI_PASSWORD, as the `bmi` CLI reads them."""
        return cls(
            env.get("BMI_ADDR", "127.0.0.1:50050"), env.get("BMI_IMAGE_ADDR", "127.0.0.1:50051"),
            Credentials.from_env(env), ca_file=env.get("BMI_CA") or None,
        )

    def wait_for_job(self, job_id: str, timeout: Optional[float] = None, on_event=None) -> orchestrator_pb2.Job:
        """See bmi_client.jobs.wait_for_job: the job's final record, or JobFailed."""
        return wait_for_job(self.orchestrator, job_id, timeout=timeout, on_event=on_event)

    def upload_image(
        self, project: str, name: str, data: bytes, *, fmt: int = image_pb2.IMAGE_FORMAT_RAW, public: bool = False,
        timeout: Optional[float] = None,
    ) -> image_pb2.Image:
        """UploadImage: a header with the size and sha256, then the bytes in 1 MiB chunks; answers the stored image."""
        header = image_pb2.UploadHeader(
            project=project, name=name, format=fmt, size_bytes=len(data), checksum=hashlib.sha256(data).hexdigest(),
            public=public,
        )

        def parts() -> Iterator[image_pb2.UploadImageRequest]:
            yield image_pb2.UploadImageRequest(header=header)
            for at in range(0, len(data), CHUNK):
                yield image_pb2.UploadImageRequest(chunk=data[at:at + CHUNK])

        return self.images.UploadImage(parts(), timeout=timeout).image

    def close(self) -> None:
        for channel in self._channels:
            channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
