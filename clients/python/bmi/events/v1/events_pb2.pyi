from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

BOOT_PHASE_BOOT_ATTEMPTED: BootPhase
BOOT_PHASE_BOOT_FAILED: BootPhase
BOOT_PHASE_SCRIPT_REFUSED: BootPhase
BOOT_PHASE_SCRIPT_SERVED: BootPhase
BOOT_PHASE_UNSPECIFIED: BootPhase
BOOT_PHASE_USERSPACE: BootPhase
DESCRIPTOR: _descriptor.FileDescriptor

class AuditRecord(_message.Message):
    __slots__ = ["accepted", "admin", "caller_service", "code", "method", "peer", "project", "request_id", "resources", "service", "time", "user"]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    ADMIN_FIELD_NUMBER: _ClassVar[int]
    CALLER_SERVICE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PEER_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    accepted: bool
    admin: bool
    caller_service: str
    code: str
    method: str
    peer: str
    project: str
    request_id: str
    resources: _containers.RepeatedScalarFieldContainer[str]
    service: str
    time: _timestamp_pb2.Timestamp
    user: str
    def __init__(self, time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., service: _Optional[str] = ..., method: _Optional[str] = ..., request_id: _Optional[str] = ..., user: _Optional[str] = ..., caller_service: _Optional[str] = ..., admin: bool = ..., project: _Optional[str] = ..., resources: _Optional[_Iterable[str]] = ..., accepted: bool = ..., code: _Optional[str] = ..., peer: _Optional[str] = ...) -> None: ...

class BootPhaseEvent(_message.Message):
    __slots__ = ["attempt", "mac", "node", "phase", "project", "remote_address", "time"]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    MAC_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    REMOTE_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    attempt: int
    mac: str
    node: str
    phase: BootPhase
    project: str
    remote_address: str
    time: _timestamp_pb2.Timestamp
    def __init__(self, node: _Optional[str] = ..., project: _Optional[str] = ..., mac: _Optional[str] = ..., phase: _Optional[_Union[BootPhase, str]] = ..., time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., remote_address: _Optional[str] = ..., attempt: _Optional[int] = ...) -> None: ...

class ChildFinished(_message.Message):
    __slots__ = ["child_id", "error", "node", "state"]
    CHILD_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    child_id: str
    error: str
    node: str
    state: str
    def __init__(self, child_id: _Optional[str] = ..., node: _Optional[str] = ..., state: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...

class JobCreated(_message.Message):
    __slots__ = ["kind", "node", "parent_id", "project"]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    PARENT_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    kind: str
    node: str
    parent_id: str
    project: str
    def __init__(self, kind: _Optional[str] = ..., project: _Optional[str] = ..., node: _Optional[str] = ..., parent_id: _Optional[str] = ...) -> None: ...

class JobEvent(_message.Message):
    __slots__ = ["boot", "child_finished", "created", "finished", "job_id", "seq", "step_failed", "step_started", "step_succeeded", "step_undone", "time"]
    BOOT_FIELD_NUMBER: _ClassVar[int]
    CHILD_FINISHED_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    STEP_FAILED_FIELD_NUMBER: _ClassVar[int]
    STEP_STARTED_FIELD_NUMBER: _ClassVar[int]
    STEP_SUCCEEDED_FIELD_NUMBER: _ClassVar[int]
    STEP_UNDONE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    boot: BootPhaseEvent
    child_finished: ChildFinished
    created: JobCreated
    finished: JobFinished
    job_id: str
    seq: int
    step_failed: StepFailed
    step_started: StepStarted
    step_succeeded: StepSucceeded
    step_undone: StepUndone
    time: _timestamp_pb2.Timestamp
    def __init__(self, job_id: _Optional[str] = ..., seq: _Optional[int] = ..., time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., created: _Optional[_Union[JobCreated, _Mapping]] = ..., step_started: _Optional[_Union[StepStarted, _Mapping]] = ..., step_succeeded: _Optional[_Union[StepSucceeded, _Mapping]] = ..., step_failed: _Optional[_Union[StepFailed, _Mapping]] = ..., step_undone: _Optional[_Union[StepUndone, _Mapping]] = ..., finished: _Optional[_Union[JobFinished, _Mapping]] = ..., child_finished: _Optional[_Union[ChildFinished, _Mapping]] = ..., boot: _Optional[_Union[BootPhaseEvent, _Mapping]] = ...) -> None: ...

class JobFinished(_message.Message):
    __slots__ = ["error", "failed", "state", "succeeded"]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SUCCEEDED_FIELD_NUMBER: _ClassVar[int]
    error: str
    failed: int
    state: str
    succeeded: int
    def __init__(self, state: _Optional[str] = ..., error: _Optional[str] = ..., succeeded: _Optional[int] = ..., failed: _Optional[int] = ...) -> None: ...

class NodeEvent(_message.Message):
    __slots__ = ["job_id", "node", "project", "state", "time"]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    node: str
    project: str
    state: str
    time: _timestamp_pb2.Timestamp
    def __init__(self, node: _Optional[str] = ..., project: _Optional[str] = ..., state: _Optional[str] = ..., job_id: _Optional[str] = ..., time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StepFailed(_message.Message):
    __slots__ = ["error", "permanent", "step"]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    PERMANENT_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    error: str
    permanent: bool
    step: str
    def __init__(self, step: _Optional[str] = ..., error: _Optional[str] = ..., permanent: bool = ...) -> None: ...

class StepStarted(_message.Message):
    __slots__ = ["attempt", "step"]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    attempt: int
    step: str
    def __init__(self, step: _Optional[str] = ..., attempt: _Optional[int] = ...) -> None: ...

class StepSucceeded(_message.Message):
    __slots__ = ["duration_ms", "outputs", "step"]
    class OutputsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    duration_ms: int
    outputs: _containers.ScalarMap[str, str]
    step: str
    def __init__(self, step: _Optional[str] = ..., outputs: _Optional[_Mapping[str, str]] = ..., duration_ms: _Optional[int] = ...) -> None: ...

class StepUndone(_message.Message):
    __slots__ = ["step"]
    STEP_FIELD_NUMBER: _ClassVar[int]
    step: str
    def __init__(self, step: _Optional[str] = ...) -> None: ...

class BootPhase(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
