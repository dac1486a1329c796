from bmi.common.v1 import common_pb2 as _common_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
DHCP_FORMAT_DNSMASQ: DhcpFormat
DHCP_FORMAT_ISC: DhcpFormat
DHCP_FORMAT_KEA: DhcpFormat
DHCP_FORMAT_UNSPECIFIED: DhcpFormat

class ArmBootConfigRequest(_message.Message):
    __slots__ = ["node"]
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: str
    def __init__(self, node: _Optional[str] = ...) -> None: ...

class ArmBootConfigResponse(_message.Message):
    __slots__ = ["binding"]
    BINDING_FIELD_NUMBER: _ClassVar[int]
    binding: BootBinding
    def __init__(self, binding: _Optional[_Union[BootBinding, _Mapping]] = ...) -> None: ...

class BootBinding(_message.Message):
    __slots__ = ["address", "armed", "bound", "target_acl"]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ARMED_FIELD_NUMBER: _ClassVar[int]
    BOUND_FIELD_NUMBER: _ClassVar[int]
    TARGET_ACL_FIELD_NUMBER: _ClassVar[int]
    address: str
    armed: _timestamp_pb2.Timestamp
    bound: _timestamp_pb2.Timestamp
    target_acl: bool
    def __init__(self, address: _Optional[str] = ..., armed: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., bound: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., target_acl: bool = ...) -> None: ...

class BootConfig(_message.Message):
    __slots__ = ["binding", "chap", "efi_loader", "firmware", "initiator_iqn", "macs", "metadata", "node", "project", "reverse_chap", "target", "updated"]
    BINDING_FIELD_NUMBER: _ClassVar[int]
    CHAP_FIELD_NUMBER: _ClassVar[int]
    EFI_LOADER_FIELD_NUMBER: _ClassVar[int]
    FIRMWARE_FIELD_NUMBER: _ClassVar[int]
    INITIATOR_IQN_FIELD_NUMBER: _ClassVar[int]
    MACS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    REVERSE_CHAP_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    binding: BootBinding
    chap: _common_pb2.ChapCredentials
    efi_loader: str
    firmware: _common_pb2.Firmware
    initiator_iqn: str
    macs: _containers.RepeatedScalarFieldContainer[str]
    metadata: NodeMetadata
    node: str
    project: str
    reverse_chap: _common_pb2.ChapCredentials
    target: _common_pb2.IscsiTarget
    updated: _timestamp_pb2.Timestamp
    def __init__(self, node: _Optional[str] = ..., project: _Optional[str] = ..., macs: _Optional[_Iterable[str]] = ..., target: _Optional[_Union[_common_pb2.IscsiTarget, _Mapping]] = ..., chap: _Optional[_Union[_common_pb2.ChapCredentials, _Mapping]] = ..., initiator_iqn: _Optional[str] = ..., firmware: _Optional[_Union[_common_pb2.Firmware, str]] = ..., updated: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., efi_loader: _Optional[str] = ..., reverse_chap: _Optional[_Union[_common_pb2.ChapCredentials, _Mapping]] = ..., binding: _Optional[_Union[BootBinding, _Mapping]] = ..., metadata: _Optional[_Union[NodeMetadata, _Mapping]] = ...) -> None: ...

class ClearBootConfigRequest(_message.Message):
    __slots__ = ["node"]
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: str
    def __init__(self, node: _Optional[str] = ...) -> None: ...

class ClearBootConfigResponse(_message.Message):
    __slots__ = ["cleared"]
    CLEARED_FIELD_NUMBER: _ClassVar[int]
    cleared: bool
    def __init__(self, cleared: bool = ...) -> None: ...

class ClearBootConfigsItem(_message.Message):
    __slots__ = ["request", "request_id"]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    request: ClearBootConfigRequest
    request_id: str
    def __init__(self, request: _Optional[_Union[ClearBootConfigRequest, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ClearBootConfigsRequest(_message.Message):
    __slots__ = ["items"]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[ClearBootConfigsItem]
    def __init__(self, items: _Optional[_Iterable[_Union[ClearBootConfigsItem, _Mapping]]] = ...) -> None: ...

class ClearBootConfigsResponse(_message.Message):
    __slots__ = ["results"]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[ClearBootConfigsResult]
    def __init__(self, results: _Optional[_Iterable[_Union[ClearBootConfigsResult, _Mapping]]] = ...) -> None: ...

class ClearBootConfigsResult(_message.Message):
    __slots__ = ["error", "response"]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.ItemError
    response: ClearBootConfigResponse
    def __init__(self, response: _Optional[_Union[ClearBootConfigResponse, _Mapping]] = ..., error: _Optional[_Union[_common_pb2.ItemError, _Mapping]] = ...) -> None: ...

class GetBootConfigRequest(_message.Message):
    __slots__ = ["node"]
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: str
    def __init__(self, node: _Optional[str] = ...) -> None: ...

class GetBootConfigResponse(_message.Message):
    __slots__ = ["config"]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    config: BootConfig
    def __init__(self, config: _Optional[_Union[BootConfig, _Mapping]] = ...) -> None: ...

class ListBootConfigsRequest(_message.Message):
    __slots__ = ["project"]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: str
    def __init__(self, project: _Optional[str] = ...) -> None: ...

class ListBootConfigsResponse(_message.Message):
    __slots__ = ["configs"]
    CONFIGS_FIELD_NUMBER: _ClassVar[int]
    configs: _containers.RepeatedCompositeFieldContainer[BootConfig]
    def __init__(self, configs: _Optional[_Iterable[_Union[BootConfig, _Mapping]]] = ...) -> None: ...

class NodeMetadata(_message.Message):
    __slots__ = ["hostname", "user_data"]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    USER_DATA_FIELD_NUMBER: _ClassVar[int]
    hostname: str
    user_data: str
    def __init__(self, hostname: _Optional[str] = ..., user_data: _Optional[str] = ...) -> None: ...

class RenderDhcpHintsRequest(_message.Message):
    __slots__ = ["format", "project"]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    format: DhcpFormat
    project: str
    def __init__(self, format: _Optional[_Union[DhcpFormat, str]] = ..., project: _Optional[str] = ...) -> None: ...

class RenderDhcpHintsResponse(_message.Message):
    __slots__ = ["content", "hosts_file"]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    HOSTS_FILE_FIELD_NUMBER: _ClassVar[int]
    content: str
    hosts_file: str
    def __init__(self, content: _Optional[str] = ..., hosts_file: _Optional[str] = ...) -> None: ...

class RenderScriptRequest(_message.Message):
    __slots__ = ["mac", "node"]
    MAC_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    mac: str
    node: str
    def __init__(self, node: _Optional[str] = ..., mac: _Optional[str] = ...) -> None: ...

class RenderScriptResponse(_message.Message):
    __slots__ = ["script"]
    SCRIPT_FIELD_NUMBER: _ClassVar[int]
    script: str
    def __init__(self, script: _Optional[str] = ...) -> None: ...

class SetBootConfigRequest(_message.Message):
    __slots__ = ["config"]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    config: BootConfig
    def __init__(self, config: _Optional[_Union[BootConfig, _Mapping]] = ...) -> None: ...

class SetBootConfigResponse(_message.Message):
    __slots__ = ["config"]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    config: BootConfig
    def __init__(self, config: _Optional[_Union[BootConfig, _Mapping]] = ...) -> None: ...

class SetBootConfigsItem(_message.Message):
    __slots__ = ["request", "request_id"]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    request: SetBootConfigRequest
    request_id: str
    def __init__(self, request: _Optional[_Union[SetBootConfigRequest, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class SetBootConfigsRequest(_message.Message):
    __slots__ = ["items"]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[SetBootConfigsItem]
    def __init__(self, items: _Optional[_Iterable[_Union[SetBootConfigsItem, _Mapping]]] = ...) -> None: ...

class SetBootConfigsResponse(_message.Message):
    __slots__ = ["results"]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[SetBootConfigsResult]
    def __init__(self, results: _Optional[_Iterable[_Union[SetBootConfigsResult, _Mapping]]] = ...) -> None: ...

class SetBootConfigsResult(_message.Message):
    __slots__ = ["error", "response"]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.ItemError
    response: SetBootConfigResponse
    def __init__(self, response: _Optional[_Union[SetBootConfigResponse, _Mapping]] = ..., error: _Optional[_Union[_common_pb2.ItemError, _Mapping]] = ...) -> None: ...

class DhcpFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
