"""A small JetStream pull consumer, speaking the NATS client protocol over a socket, for BMI's events.

Debian has no Python NATS client, so this is the least that reading BMI_EVENTS needs: connect (user and password,
TLS with a CA), create or bind a durable pull consumer, fetch a batch, acknowledge each message. It is one
connection used from one thread. With nats-py available, its JetStream pull_subscribe does the same (docs/events.md).
"""

from __future__ import annotations

import json
import os
import socket
import ssl
from dataclasses import dataclass, field
from typing import Dict, List, Optional
from urllib.parse import urlparse


class NatsError(Exception):
    """The server refused something (-ERR, a JetStream API error) or the connection ended."""


@dataclass
class Message:
    """One stored event. Acknowledge it once handled; until then JetStream redelivers it after the ack wait."""

    subject: str
    data: bytes
    headers: Dict[str, str] = field(default_factory=dict)
    reply: str = ""
    _conn: Optional["JetStream"] = field(default=None, repr=False)

    @property
    def msg_id(self) -> str:
        """The publisher's message id (Nats-Msg-Id): the same event published twice has the same one."""
        return self.headers.get("Nats-Msg-Id", "")

    @property
    def stream_seq(self) -> int:
        """The message's sequence number in the stream (from its ack subject): its place in the stream's order."""
        return self._ack_token(3)

    @property
    def deliveries(self) -> int:
        """How many times JetStream has delivered this message to the consumer, this time included."""
        return self._ack_token(2)

    def _ack_token(self, i: int) -> int:
        # $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>, or the newer form
        # with <domain>.<account hash> after ACK and a random token at the end.
        parts = self.reply.split(".")
        base = 2 if len(parts) == 9 else 4
        return int(parts[base + i]) if len(parts) >= 9 else 0

    def ack(self) -> None:
        assert self._conn is not None
        self._conn.publish(self.reply, b"+ACK")


class JetStream:
    def __init__(self, url: str = "nats://127.0.0.1:4222", *, user: str = "", password: str = "",
                 ca_file: str = "", timeout: float = 10.0) -> None:
        u = urlparse(url)
        sock = socket.create_connection((u.hostname or "127.0.0.1", u.port or 4222), timeout=timeout)
        self._file = sock.makefile("rwb")
        info = json.loads(self._line().split(b" ", 1)[1])
        if info.get("tls_required") or ca_file or u.scheme == "tls":
            context = ssl.create_default_context(cafile=ca_file or None)
            sock = context.wrap_socket(sock, server_hostname=u.hostname)
            self._file = sock.makefile("rwb")
        self._sock = sock
        self._sid = 0
        self._inbox = "_INBOX." + os.urandom(8).hex()
        connect = {"verbose": False, "pedantic": False, "headers": True, "no_responders": True, "lang": "python",
                   "version": "bmi", "protocol": 1}
        if user or u.username:
            connect.update(user=user or u.username, **{"pass": password or u.password or ""})
        self._send(b"CONNECT " + json.dumps(connect).encode() + b"\r\n")
        self.flush()

    def publish(self, subject: str, data: bytes, reply: str = "") -> None:
        self._send(f"PUB {subject} {reply} {len(data)}\r\n".encode() + data + b"\r\n")

    def flush(self) -> None:
        """Waits until the server has read everything sent so far (acks included)."""
        self._send(b"PING\r\n")
        try:
            while True:
                self._read()
        except _Pong:
            pass

    def request(self, subject: str, body: dict) -> dict:
        """A JetStream API call ($JS.API.*): its JSON answer, or NatsError with the server's description."""
        answer = self._exchange(subject, json.dumps(body).encode(), until=1)
        if not answer:
            raise NatsError(f"no answer to {subject}: is JetStream on?")
        reply = json.loads(answer[0].data)
        if "error" in reply:
            raise NatsError(f"{subject}: {reply['error'].get('description', reply['error'])}")
        return reply

    def durable(self, stream: str, name: str, filter_subject: str, **config: object) -> dict:
        """Creates the durable pull consumer, or binds to it when it exists with the same settings."""
        body = {"stream_name": stream, "config": {"durable_name": name, "ack_policy": "explicit",
                                                  "filter_subject": filter_subject, **config}}
        return self.request(f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.{name}", body)

    def delete_consumer(self, stream: str, name: str) -> None:
        self.request(f"$JS.API.CONSUMER.DELETE.{stream}.{name}", {})

    def fetch(self, stream: str, consumer: str, batch: int = 100, expires: float = 1.0) -> List[Message]:
        """Up to `batch` messages, waiting at most `expires` seconds for them."""
        body = json.dumps({"batch": batch, "expires": int(expires * 1e9)}).encode()
        return self._exchange(f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}", body, until=batch)

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._sock.close()

    def abandon(self) -> None:
        """Drops the connection as a crash would: nothing in flight is acknowledged."""
        self._sock.close()

    def _exchange(self, subject: str, body: bytes, until: int) -> List[Message]:
        """Publishes with a fresh reply subject and collects replies until `until` came or a status ends them."""
        self._sid += 1
        sid, inbox = str(self._sid), f"{self._inbox}.{self._sid}"
        self._send(f"SUB {inbox} {sid}\r\n".encode())
        self.publish(subject, body, inbox)
        got: List[Message] = []
        try:
            while len(got) < until:
                msg = self._read(sid)
                if msg is None:
                    continue
                status = msg.headers.get(":status", "")
                if status and not msg.data:
                    # 404 no messages, 408 request expired, 409 consumer changed: the fetch is over.
                    break
                got.append(msg)
        finally:
            self._send(f"UNSUB {sid}\r\n".encode())
        return got

    def _read(self, sid: str = "") -> Optional[Message]:
        """Reads one protocol line (and its payload): a message for `sid`, else None; a PONG raises _Pong."""
        line = self._line()
        op = line.split(b" ", 1)[0].upper()
        if op == b"PING":
            self._send(b"PONG\r\n")
            return None
        if op == b"PONG":
            raise _Pong()
        if op in (b"+OK", b"INFO"):
            return None
        if op == b"-ERR":
            raise NatsError(line.decode(errors="replace"))
        if op not in (b"MSG", b"HMSG"):
            raise NatsError(f"unexpected from server: {line[:80]!r}")
        args = line.decode().split(" ")[1:]
        size = int(args[-1])
        header_size = int(args.pop(-2)) if op == b"HMSG" else 0
        subject, msg_sid, reply = args[0], args[1], (args[2] if len(args) == 4 else "")
        raw = self._file.read(size + 2)[:size]
        msg = Message(subject, raw[header_size:], _headers(raw[:header_size]), reply, self)
        return msg if msg_sid == sid else None

    def _line(self) -> bytes:
        line = self._file.readline()
        if not line:
            raise NatsError("connection closed by the server")
        return line.rstrip(b"\r\n")

    def _send(self, data: bytes) -> None:
        self._file.write(data)
        self._file.flush()


class _Pong(Exception):
    pass


def _headers(block: bytes) -> Dict[str, str]:
    """NATS/1.0 headers; a status line ("NATS/1.0 408 Request Timeout") becomes ":status"."""
    if not block:
        return {}
    lines = block.decode(errors="replace").split("\r\n")
    out = {}
    status = lines[0][len("NATS/1.0"):].strip()
    if status:
        out[":status"] = status
    for line in lines[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            out[key.strip()] = value.strip()
    return out
