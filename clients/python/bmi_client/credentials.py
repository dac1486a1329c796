"""Who a caller is and how its calls reach BMI: TLS trusting BMI's CA, an `authorization` header on every call."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence, Tuple

import grpc


@dataclass(frozen=True)
class Credentials:
    """A user and password (sent as Basic) or a token (Bearer). Neither: no header, for a stack with BMI_AUTH=none."""

    user: str = ""
    password: str = ""
    token: str = ""

    def header(self) -> Optional[str]:
        if self.token:
            return f"Bearer {self.token}"
        if self.user:
            return "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "Credentials":
        """BMI_TOKEN, else BMI_USER and BMI_PASSWORD: what the `bmi` CLI reads."""
        return cls(user=env.get("BMI_USER", ""), password=env.get("BMI_PASSWORD", ""), token=env.get("BMI_TOKEN", ""))


class _Authorization(grpc.AuthMetadataPlugin):
    def __init__(self, header: str) -> None:
        self._metadata: Tuple[Tuple[str, str], ...] = (("authorization", header),)

    def __call__(self, context: grpc.AuthMetadataContext, callback: grpc.AuthMetadataPluginCallback) -> None:
        callback(self._metadata, None)


def secure_channel(
    address: str,
    credentials: Credentials = Credentials(),
    *,
    ca: Optional[bytes] = None,
    ca_file: Optional[str] = None,
    server_name: Optional[str] = None,
    options: Sequence[Tuple[str, object]] = (),
) -> grpc.Channel:
    """A channel to one BMI service.

    Every BMI service speaks TLS; a user's client presents no certificate (the services request one but only BMI's
    own services have one) and is who its `authorization` header says. `ca` (PEM bytes) or `ca_file` is the CA that
    signed the services' certificates (a local stack's `.run/stack/pki/ca.crt`); neither: the system's roots.
    `server_name` checks the certificate for that name instead of the address's host.
    """
    if ca is None and ca_file:
        with open(ca_file, "rb") as f:
            ca = f.read()
    channel_credentials = grpc.ssl_channel_credentials(root_certificates=ca)
    header = credentials.header()
    if header:
        # Call credentials, not interceptors: grpc attaches them only to calls over TLS, so a header never leaks.
        call = grpc.metadata_call_credentials(_Authorization(header), name="bmi")
        channel_credentials = grpc.composite_channel_credentials(channel_credentials, call)
    opts = list(options)
    if server_name:
        opts.append(("grpc.ssl_target_name_override", server_name))
    return grpc.secure_channel(address, channel_credentials, opts)
