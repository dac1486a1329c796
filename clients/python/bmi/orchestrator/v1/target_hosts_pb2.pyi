from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DrainTargetHostRequest(_message.Message):
    __slots__ = ["host", "undrain"]
    HOST_FIELD_NUMBER: _ClassVar[int]
    UNDRAIN_FIELD_NUMBER: _ClassVar[int]
    host: str
    undrain: bool
    def __init__(self, host: _Optional[str] = ..., undrain: bool = ...) -> None: ...

class DrainTargetHostResponse(_message.Message):
    __slots__ = ["host"]
    HOST_FIELD_NUMBER: _ClassVar[int]
    host: TargetHost
    def __init__(self, host: _Optional[_Union[TargetHost, _Mapping]] = ...) -> None: ...

class EvacuateTargetHostRequest(_message.Message):
    __slots__ = ["host"]
    HOST_FIELD_NUMBER: _ClassVar[int]
    host: str
    def __init__(self, host: _Optional[str] = ...) -> None: ...

class EvacuateTargetHostResponse(_message.Message):
    __slots__ = ["left", "moved"]
    LEFT_FIELD_NUMBER: _ClassVar[int]
    MOVED_FIELD_NUMBER: _ClassVar[int]
    left: _containers.RepeatedCompositeFieldContainer[LeftTarget]
    moved: _containers.RepeatedCompositeFieldContainer[EvacuatedTarget]
    def __init__(self, moved: _Optional[_Iterable[_Union[EvacuatedTarget, _Mapping]]] = ..., left: _Optional[_Iterable[_Union[LeftTarget, _Mapping]]] = ...) -> None: ...

class EvacuatedTarget(_message.Message):
    __slots__ = ["disk", "hosts", "node", "project"]
    DISK_FIELD_NUMBER: _ClassVar[int]
    HOSTS_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    disk: str
    hosts: _containers.RepeatedScalarFieldContainer[str]
    node: str
    project: str
    def __init__(self, project: _Optional[str] = ..., disk: _Optional[str] = ..., node: _Optional[str] = ..., hosts: _Optional[_Iterable[str]] = ...) -> None: ...

class LeftTarget(_message.Message):
    __slots__ = ["disk", "project", "reason"]
    DISK_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    disk: str
    project: str
    reason: str
    def __init__(self, project: _Optional[str] = ..., disk: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class LimitHolder(_message.Message):
    __slots__ = ["expires", "instance", "job", "step"]
    EXPIRES_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    expires: _timestamp_pb2.Timestamp
    instance: str
    job: str
    step: str
    def __init__(self, instance: _Optional[str] = ..., job: _Optional[str] = ..., step: _Optional[str] = ..., expires: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class LimitState(_message.Message):
    __slots__ = ["bottleneck", "holders", "limit", "waiters"]
    BOTTLENECK_FIELD_NUMBER: _ClassVar[int]
    HOLDERS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    WAITERS_FIELD_NUMBER: _ClassVar[int]
    bottleneck: str
    holders: _containers.RepeatedCompositeFieldContainer[LimitHolder]
    limit: int
    waiters: int
    def __init__(self, bottleneck: _Optional[str] = ..., limit: _Optional[int] = ..., holders: _Optional[_Iterable[_Union[LimitHolder, _Mapping]]] = ..., waiters: _Optional[int] = ...) -> None: ...

class ListLimitsRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ListLimitsResponse(_message.Message):
    __slots__ = ["limits"]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    limits: _containers.RepeatedCompositeFieldContainer[LimitState]
    def __init__(self, limits: _Optional[_Iterable[_Union[LimitState, _Mapping]]] = ...) -> None: ...

class ListTargetHostsRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ListTargetHostsResponse(_message.Message):
    __slots__ = ["hosts"]
    HOSTS_FIELD_NUMBER: _ClassVar[int]
    hosts: _containers.RepeatedCompositeFieldContainer[TargetHost]
    def __init__(self, hosts: _Optional[_Iterable[_Union[TargetHost, _Mapping]]] = ...) -> None: ...

class TargetHost(_message.Message):
    __slots__ = ["address", "alive", "capacity", "draining", "healthy", "heartbeat", "id", "portals", "targets"]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ALIVE_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    DRAINING_FIELD_NUMBER: _ClassVar[int]
    HEALTHY_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    PORTALS_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    address: str
    alive: bool
    capacity: int
    draining: bool
    healthy: bool
    heartbeat: _timestamp_pb2.Timestamp
    id: str
    portals: _containers.RepeatedScalarFieldContainer[str]
    targets: int
    def __init__(self, id: _Optional[str] = ..., address: _Optional[str] = ..., portals: _Optional[_Iterable[str]] = ..., capacity: _Optional[int] = ..., targets: _Optional[int] = ..., healthy: bool = ..., alive: bool = ..., draining: bool = ..., heartbeat: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
