from bmi.common.v1 import common_pb2 as _common_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BindInitiatorAddressRequest(_message.Message):
    __slots__ = ["address", "iqn", "project"]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    IQN_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    address: str
    iqn: str
    project: str
    def __init__(self, project: _Optional[str] = ..., iqn: _Optional[str] = ..., address: _Optional[str] = ...) -> None: ...

class BindInitiatorAddressResponse(_message.Message):
    __slots__ = ["bound"]
    BOUND_FIELD_NUMBER: _ClassVar[int]
    bound: bool
    def __init__(self, bound: bool = ...) -> None: ...

class CreateTargetRequest(_message.Message):
    __slots__ = ["backing", "disk", "initiator_iqn", "placement", "project"]
    BACKING_FIELD_NUMBER: _ClassVar[int]
    DISK_FIELD_NUMBER: _ClassVar[int]
    INITIATOR_IQN_FIELD_NUMBER: _ClassVar[int]
    PLACEMENT_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    backing: _common_pb2.Backing
    disk: str
    initiator_iqn: str
    placement: TargetPlacement
    project: str
    def __init__(self, project: _Optional[str] = ..., disk: _Optional[str] = ..., backing: _Optional[_Union[_common_pb2.Backing, _Mapping]] = ..., initiator_iqn: _Optional[str] = ..., placement: _Optional[_Union[TargetPlacement, _Mapping]] = ...) -> None: ...

class CreateTargetResponse(_message.Message):
    __slots__ = ["created", "target"]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    created: bool
    target: Target
    def __init__(self, target: _Optional[_Union[Target, _Mapping]] = ..., created: bool = ...) -> None: ...

class CreateTargetsItem(_message.Message):
    __slots__ = ["request", "request_id"]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    request: CreateTargetRequest
    request_id: str
    def __init__(self, request: _Optional[_Union[CreateTargetRequest, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateTargetsRequest(_message.Message):
    __slots__ = ["items"]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[CreateTargetsItem]
    def __init__(self, items: _Optional[_Iterable[_Union[CreateTargetsItem, _Mapping]]] = ...) -> None: ...

class CreateTargetsResponse(_message.Message):
    __slots__ = ["results"]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[CreateTargetsResult]
    def __init__(self, results: _Optional[_Iterable[_Union[CreateTargetsResult, _Mapping]]] = ...) -> None: ...

class CreateTargetsResult(_message.Message):
    __slots__ = ["error", "response"]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.ItemError
    response: CreateTargetResponse
    def __init__(self, response: _Optional[_Union[CreateTargetResponse, _Mapping]] = ..., error: _Optional[_Union[_common_pb2.ItemError, _Mapping]] = ...) -> None: ...

class DeleteTargetRequest(_message.Message):
    __slots__ = ["disk", "project"]
    DISK_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    disk: str
    project: str
    def __init__(self, project: _Optional[str] = ..., disk: _Optional[str] = ...) -> None: ...

class DeleteTargetResponse(_message.Message):
    __slots__ = ["forced", "sessions_closed"]
    FORCED_FIELD_NUMBER: _ClassVar[int]
    SESSIONS_CLOSED_FIELD_NUMBER: _ClassVar[int]
    forced: bool
    sessions_closed: int
    def __init__(self, forced: bool = ..., sessions_closed: _Optional[int] = ...) -> None: ...

class DeleteTargetsItem(_message.Message):
    __slots__ = ["request", "request_id"]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    request: DeleteTargetRequest
    request_id: str
    def __init__(self, request: _Optional[_Union[DeleteTargetRequest, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class DeleteTargetsRequest(_message.Message):
    __slots__ = ["items"]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[DeleteTargetsItem]
    def __init__(self, items: _Optional[_Iterable[_Union[DeleteTargetsItem, _Mapping]]] = ...) -> None: ...

class DeleteTargetsResponse(_message.Message):
    __slots__ = ["results"]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[DeleteTargetsResult]
    def __init__(self, results: _Optional[_Iterable[_Union[DeleteTargetsResult, _Mapping]]] = ...) -> None: ...

class DeleteTargetsResult(_message.Message):
    __slots__ = ["error", "response"]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.ItemError
    response: DeleteTargetResponse
    def __init__(self, response: _Optional[_Union[DeleteTargetResponse, _Mapping]] = ..., error: _Optional[_Union[_common_pb2.ItemError, _Mapping]] = ...) -> None: ...

class GetTargetRequest(_message.Message):
    __slots__ = ["disk", "project"]
    DISK_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    disk: str
    project: str
    def __init__(self, project: _Optional[str] = ..., disk: _Optional[str] = ...) -> None: ...

class GetTargetResponse(_message.Message):
    __slots__ = ["target"]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    target: Target
    def __init__(self, target: _Optional[_Union[Target, _Mapping]] = ...) -> None: ...

class ListTargetsRequest(_message.Message):
    __slots__ = ["project"]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: str
    def __init__(self, project: _Optional[str] = ...) -> None: ...

class ListTargetsResponse(_message.Message):
    __slots__ = ["targets"]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    targets: _containers.RepeatedCompositeFieldContainer[Target]
    def __init__(self, targets: _Optional[_Iterable[_Union[Target, _Mapping]]] = ...) -> None: ...

class Target(_message.Message):
    __slots__ = ["active", "backing", "chap", "created", "disk", "initiator_address", "initiator_iqn", "placement", "project", "reverse_chap", "sessions", "target"]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    BACKING_FIELD_NUMBER: _ClassVar[int]
    CHAP_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    DISK_FIELD_NUMBER: _ClassVar[int]
    INITIATOR_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    INITIATOR_IQN_FIELD_NUMBER: _ClassVar[int]
    PLACEMENT_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    REVERSE_CHAP_FIELD_NUMBER: _ClassVar[int]
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    active: bool
    backing: _common_pb2.Backing
    chap: _common_pb2.ChapCredentials
    created: _timestamp_pb2.Timestamp
    disk: str
    initiator_address: str
    initiator_iqn: str
    placement: TargetPlacement
    project: str
    reverse_chap: _common_pb2.ChapCredentials
    sessions: int
    target: _common_pb2.IscsiTarget
    def __init__(self, project: _Optional[str] = ..., disk: _Optional[str] = ..., target: _Optional[_Union[_common_pb2.IscsiTarget, _Mapping]] = ..., initiator_iqn: _Optional[str] = ..., chap: _Optional[_Union[_common_pb2.ChapCredentials, _Mapping]] = ..., backing: _Optional[_Union[_common_pb2.Backing, _Mapping]] = ..., created: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., active: bool = ..., sessions: _Optional[int] = ..., initiator_address: _Optional[str] = ..., reverse_chap: _Optional[_Union[_common_pb2.ChapCredentials, _Mapping]] = ..., placement: _Optional[_Union[TargetPlacement, _Mapping]] = ...) -> None: ...

class TargetPlacement(_message.Message):
    __slots__ = ["hosts"]
    HOSTS_FIELD_NUMBER: _ClassVar[int]
    hosts: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, hosts: _Optional[_Iterable[str]] = ...) -> None: ...
