from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
FIRMWARE_BIOS: Firmware
FIRMWARE_UEFI: Firmware
FIRMWARE_UNSPECIFIED: Firmware
QUOTA_KIND_DISKS: QuotaKind
QUOTA_KIND_IMAGES: QuotaKind
QUOTA_KIND_NODES: QuotaKind
QUOTA_KIND_STORED_BYTES: QuotaKind
QUOTA_KIND_UNSPECIFIED: QuotaKind
QUOTA_KIND_VIRTUAL_BYTES: QuotaKind

class Backing(_message.Message):
    __slots__ = ["file", "rbd"]
    FILE_FIELD_NUMBER: _ClassVar[int]
    RBD_FIELD_NUMBER: _ClassVar[int]
    file: FileBacking
    rbd: RbdBacking
    def __init__(self, file: _Optional[_Union[FileBacking, _Mapping]] = ..., rbd: _Optional[_Union[RbdBacking, _Mapping]] = ...) -> None: ...

class ChapCredentials(_message.Message):
    __slots__ = ["secret", "user"]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    secret: str
    user: str
    def __init__(self, user: _Optional[str] = ..., secret: _Optional[str] = ...) -> None: ...

class FileBacking(_message.Message):
    __slots__ = ["path"]
    PATH_FIELD_NUMBER: _ClassVar[int]
    path: str
    def __init__(self, path: _Optional[str] = ...) -> None: ...

class IscsiTarget(_message.Message):
    __slots__ = ["iqn", "lun", "portals"]
    IQN_FIELD_NUMBER: _ClassVar[int]
    LUN_FIELD_NUMBER: _ClassVar[int]
    PORTALS_FIELD_NUMBER: _ClassVar[int]
    iqn: str
    lun: int
    portals: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, iqn: _Optional[str] = ..., portals: _Optional[_Iterable[str]] = ..., lun: _Optional[int] = ...) -> None: ...

class ItemError(_message.Message):
    __slots__ = ["code", "message"]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class Quota(_message.Message):
    __slots__ = ["kind", "limit", "used"]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    USED_FIELD_NUMBER: _ClassVar[int]
    kind: QuotaKind
    limit: int
    used: int
    def __init__(self, kind: _Optional[_Union[QuotaKind, str]] = ..., limit: _Optional[int] = ..., used: _Optional[int] = ...) -> None: ...

class RbdBacking(_message.Message):
    __slots__ = ["ceph_conf", "image", "pool", "user"]
    CEPH_CONF_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    POOL_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    ceph_conf: str
    image: str
    pool: str
    user: str
    def __init__(self, pool: _Optional[str] = ..., image: _Optional[str] = ..., ceph_conf: _Optional[str] = ..., user: _Optional[str] = ...) -> None: ...

class Firmware(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class QuotaKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
