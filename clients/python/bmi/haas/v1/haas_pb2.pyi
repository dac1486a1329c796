from bmi.common.v1 import common_pb2 as _common_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

BOOT_DEVICE_DISK: BootDevice
BOOT_DEVICE_PXE: BootDevice
BOOT_DEVICE_UNSPECIFIED: BootDevice
DESCRIPTOR: _descriptor.FileDescriptor
NODE_FILTER_ALL: NodeFilter
NODE_FILTER_FREE: NodeFilter
NODE_FILTER_PROJECT: NodeFilter
NODE_FILTER_UNSPECIFIED: NodeFilter
POWER_STATE_OFF: PowerState
POWER_STATE_ON: PowerState
POWER_STATE_UNKNOWN: PowerState
POWER_STATE_UNSPECIFIED: PowerState

class AllocateNodeRequest(_message.Message):
    __slots__ = ["node", "project"]
    NODE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    node: str
    project: str
    def __init__(self, project: _Optional[str] = ..., node: _Optional[str] = ...) -> None: ...

class AllocateNodeResponse(_message.Message):
    __slots__ = ["allocated", "node"]
    ALLOCATED_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    allocated: bool
    node: Node
    def __init__(self, node: _Optional[_Union[Node, _Mapping]] = ..., allocated: bool = ...) -> None: ...

class AllocateNodesItem(_message.Message):
    __slots__ = ["request", "request_id"]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    request: AllocateNodeRequest
    request_id: str
    def __init__(self, request: _Optional[_Union[AllocateNodeRequest, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class AllocateNodesRequest(_message.Message):
    __slots__ = ["items"]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[AllocateNodesItem]
    def __init__(self, items: _Optional[_Iterable[_Union[AllocateNodesItem, _Mapping]]] = ...) -> None: ...

class AllocateNodesResponse(_message.Message):
    __slots__ = ["results"]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[AllocateNodesResult]
    def __init__(self, results: _Optional[_Iterable[_Union[AllocateNodesResult, _Mapping]]] = ...) -> None: ...

class AllocateNodesResult(_message.Message):
    __slots__ = ["error", "response"]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.ItemError
    response: AllocateNodeResponse
    def __init__(self, response: _Optional[_Union[AllocateNodeResponse, _Mapping]] = ..., error: _Optional[_Union[_common_pb2.ItemError, _Mapping]] = ...) -> None: ...

class ConnectNetworkRequest(_message.Message):
    __slots__ = ["channel", "network", "nic", "node", "project"]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    NIC_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    channel: str
    network: str
    nic: str
    node: str
    project: str
    def __init__(self, project: _Optional[str] = ..., node: _Optional[str] = ..., nic: _Optional[str] = ..., network: _Optional[str] = ..., channel: _Optional[str] = ...) -> None: ...

class ConnectNetworkResponse(_message.Message):
    __slots__ = ["changed", "notice"]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    NOTICE_FIELD_NUMBER: _ClassVar[int]
    changed: bool
    notice: str
    def __init__(self, changed: bool = ..., notice: _Optional[str] = ...) -> None: ...

class DetachNetworkRequest(_message.Message):
    __slots__ = ["network", "nic", "node", "project"]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    NIC_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    network: str
    nic: str
    node: str
    project: str
    def __init__(self, project: _Optional[str] = ..., node: _Optional[str] = ..., nic: _Optional[str] = ..., network: _Optional[str] = ...) -> None: ...

class DetachNetworkResponse(_message.Message):
    __slots__ = ["changed"]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    changed: bool
    def __init__(self, changed: bool = ...) -> None: ...

class GetNodeRequest(_message.Message):
    __slots__ = ["node"]
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: str
    def __init__(self, node: _Optional[str] = ...) -> None: ...

class GetNodeResponse(_message.Message):
    __slots__ = ["node"]
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: Node
    def __init__(self, node: _Optional[_Union[Node, _Mapping]] = ...) -> None: ...

class GetNodesItem(_message.Message):
    __slots__ = ["request", "request_id"]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    request: GetNodeRequest
    request_id: str
    def __init__(self, request: _Optional[_Union[GetNodeRequest, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetNodesRequest(_message.Message):
    __slots__ = ["items"]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[GetNodesItem]
    def __init__(self, items: _Optional[_Iterable[_Union[GetNodesItem, _Mapping]]] = ...) -> None: ...

class GetNodesResponse(_message.Message):
    __slots__ = ["results"]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[GetNodesResult]
    def __init__(self, results: _Optional[_Iterable[_Union[GetNodesResult, _Mapping]]] = ...) -> None: ...

class GetNodesResult(_message.Message):
    __slots__ = ["error", "response"]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.ItemError
    response: GetNodeResponse
    def __init__(self, response: _Optional[_Union[GetNodeResponse, _Mapping]] = ..., error: _Optional[_Union[_common_pb2.ItemError, _Mapping]] = ...) -> None: ...

class GetPowerStatusRequest(_message.Message):
    __slots__ = ["node", "project"]
    NODE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    node: str
    project: str
    def __init__(self, project: _Optional[str] = ..., node: _Optional[str] = ...) -> None: ...

class GetPowerStatusResponse(_message.Message):
    __slots__ = ["state"]
    STATE_FIELD_NUMBER: _ClassVar[int]
    state: PowerState
    def __init__(self, state: _Optional[_Union[PowerState, str]] = ...) -> None: ...

class IpmiPower(_message.Message):
    __slots__ = ["host", "password", "user"]
    HOST_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    host: str
    password: str
    user: str
    def __init__(self, host: _Optional[str] = ..., user: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class ListNodesRequest(_message.Message):
    __slots__ = ["filter", "project"]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    filter: NodeFilter
    project: str
    def __init__(self, filter: _Optional[_Union[NodeFilter, str]] = ..., project: _Optional[str] = ...) -> None: ...

class ListNodesResponse(_message.Message):
    __slots__ = ["nodes", "notice"]
    NODES_FIELD_NUMBER: _ClassVar[int]
    NOTICE_FIELD_NUMBER: _ClassVar[int]
    nodes: _containers.RepeatedCompositeFieldContainer[Node]
    notice: str
    def __init__(self, nodes: _Optional[_Iterable[_Union[Node, _Mapping]]] = ..., notice: _Optional[str] = ...) -> None: ...

class Nic(_message.Message):
    __slots__ = ["label", "mac", "networks"]
    class NetworksEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    LABEL_FIELD_NUMBER: _ClassVar[int]
    MAC_FIELD_NUMBER: _ClassVar[int]
    NETWORKS_FIELD_NUMBER: _ClassVar[int]
    label: str
    mac: str
    networks: _containers.ScalarMap[str, str]
    def __init__(self, label: _Optional[str] = ..., mac: _Optional[str] = ..., networks: _Optional[_Mapping[str, str]] = ...) -> None: ...

class Node(_message.Message):
    __slots__ = ["isolated", "metadata", "name", "nics", "power_driver", "project", "registered"]
    class MetadataEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ISOLATED_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NICS_FIELD_NUMBER: _ClassVar[int]
    POWER_DRIVER_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_FIELD_NUMBER: _ClassVar[int]
    isolated: bool
    metadata: _containers.ScalarMap[str, str]
    name: str
    nics: _containers.RepeatedCompositeFieldContainer[Nic]
    power_driver: str
    project: str
    registered: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., project: _Optional[str] = ..., nics: _Optional[_Iterable[_Union[Nic, _Mapping]]] = ..., isolated: bool = ..., metadata: _Optional[_Mapping[str, str]] = ..., power_driver: _Optional[str] = ..., registered: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ObmdPower(_message.Message):
    __slots__ = ["admin_token", "uri"]
    ADMIN_TOKEN_FIELD_NUMBER: _ClassVar[int]
    URI_FIELD_NUMBER: _ClassVar[int]
    admin_token: str
    uri: str
    def __init__(self, uri: _Optional[str] = ..., admin_token: _Optional[str] = ...) -> None: ...

class PowerCycleRequest(_message.Message):
    __slots__ = ["force", "node", "project"]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    force: bool
    node: str
    project: str
    def __init__(self, project: _Optional[str] = ..., node: _Optional[str] = ..., force: bool = ...) -> None: ...

class PowerCycleResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class PowerOffRequest(_message.Message):
    __slots__ = ["node", "project"]
    NODE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    node: str
    project: str
    def __init__(self, project: _Optional[str] = ..., node: _Optional[str] = ...) -> None: ...

class PowerOffResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class PowerOnRequest(_message.Message):
    __slots__ = ["node", "project"]
    NODE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    node: str
    project: str
    def __init__(self, project: _Optional[str] = ..., node: _Optional[str] = ...) -> None: ...

class PowerOnResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class PowerSpec(_message.Message):
    __slots__ = ["ipmi", "obmd", "qemu"]
    IPMI_FIELD_NUMBER: _ClassVar[int]
    OBMD_FIELD_NUMBER: _ClassVar[int]
    QEMU_FIELD_NUMBER: _ClassVar[int]
    ipmi: IpmiPower
    obmd: ObmdPower
    qemu: QemuPower
    def __init__(self, ipmi: _Optional[_Union[IpmiPower, _Mapping]] = ..., qemu: _Optional[_Union[QemuPower, _Mapping]] = ..., obmd: _Optional[_Union[ObmdPower, _Mapping]] = ...) -> None: ...

class QemuPower(_message.Message):
    __slots__ = ["qmp_socket"]
    QMP_SOCKET_FIELD_NUMBER: _ClassVar[int]
    qmp_socket: str
    def __init__(self, qmp_socket: _Optional[str] = ...) -> None: ...

class RegisterNodeRequest(_message.Message):
    __slots__ = ["metadata", "name", "nics", "power"]
    class MetadataEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    METADATA_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NICS_FIELD_NUMBER: _ClassVar[int]
    POWER_FIELD_NUMBER: _ClassVar[int]
    metadata: _containers.ScalarMap[str, str]
    name: str
    nics: _containers.RepeatedCompositeFieldContainer[Nic]
    power: PowerSpec
    def __init__(self, name: _Optional[str] = ..., nics: _Optional[_Iterable[_Union[Nic, _Mapping]]] = ..., power: _Optional[_Union[PowerSpec, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class RegisterNodeResponse(_message.Message):
    __slots__ = ["node"]
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: Node
    def __init__(self, node: _Optional[_Union[Node, _Mapping]] = ...) -> None: ...

class ReleaseNodeRequest(_message.Message):
    __slots__ = ["node", "project"]
    NODE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    node: str
    project: str
    def __init__(self, project: _Optional[str] = ..., node: _Optional[str] = ...) -> None: ...

class ReleaseNodeResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ReleaseNodesItem(_message.Message):
    __slots__ = ["request", "request_id"]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    request: ReleaseNodeRequest
    request_id: str
    def __init__(self, request: _Optional[_Union[ReleaseNodeRequest, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ReleaseNodesRequest(_message.Message):
    __slots__ = ["items"]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[ReleaseNodesItem]
    def __init__(self, items: _Optional[_Iterable[_Union[ReleaseNodesItem, _Mapping]]] = ...) -> None: ...

class ReleaseNodesResponse(_message.Message):
    __slots__ = ["results"]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[ReleaseNodesResult]
    def __init__(self, results: _Optional[_Iterable[_Union[ReleaseNodesResult, _Mapping]]] = ...) -> None: ...

class ReleaseNodesResult(_message.Message):
    __slots__ = ["error", "response"]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.ItemError
    response: ReleaseNodeResponse
    def __init__(self, response: _Optional[_Union[ReleaseNodeResponse, _Mapping]] = ..., error: _Optional[_Union[_common_pb2.ItemError, _Mapping]] = ...) -> None: ...

class SetBootDeviceRequest(_message.Message):
    __slots__ = ["device", "node", "project"]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    device: BootDevice
    node: str
    project: str
    def __init__(self, project: _Optional[str] = ..., node: _Optional[str] = ..., device: _Optional[_Union[BootDevice, str]] = ...) -> None: ...

class SetBootDeviceResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class UnregisterNodeRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class UnregisterNodeResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class UpdateNodeRequest(_message.Message):
    __slots__ = ["metadata", "name", "nics", "power"]
    class MetadataEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    METADATA_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NICS_FIELD_NUMBER: _ClassVar[int]
    POWER_FIELD_NUMBER: _ClassVar[int]
    metadata: _containers.ScalarMap[str, str]
    name: str
    nics: _containers.RepeatedCompositeFieldContainer[Nic]
    power: PowerSpec
    def __init__(self, name: _Optional[str] = ..., nics: _Optional[_Iterable[_Union[Nic, _Mapping]]] = ..., power: _Optional[_Union[PowerSpec, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class UpdateNodeResponse(_message.Message):
    __slots__ = ["node"]
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: Node
    def __init__(self, node: _Optional[_Union[Node, _Mapping]] = ...) -> None: ...

class NodeFilter(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class PowerState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class BootDevice(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
