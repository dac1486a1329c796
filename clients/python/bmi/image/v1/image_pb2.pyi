from bmi.common.v1 import common_pb2 as _common_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
IMAGE_FORMAT_QCOW2: ImageFormat
IMAGE_FORMAT_RAW: ImageFormat
IMAGE_FORMAT_UNSPECIFIED: ImageFormat

class CephImageSource(_message.Message):
    __slots__ = ["image", "pool", "snapshot"]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    POOL_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    image: str
    pool: str
    snapshot: str
    def __init__(self, pool: _Optional[str] = ..., image: _Optional[str] = ..., snapshot: _Optional[str] = ...) -> None: ...

class CopyImageRequest(_message.Message):
    __slots__ = ["name", "new_name", "new_project", "project"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NEW_NAME_FIELD_NUMBER: _ClassVar[int]
    NEW_PROJECT_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    name: str
    new_name: str
    new_project: str
    project: str
    def __init__(self, project: _Optional[str] = ..., name: _Optional[str] = ..., new_name: _Optional[str] = ..., new_project: _Optional[str] = ...) -> None: ...

class CopyImageResponse(_message.Message):
    __slots__ = ["image"]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    image: Image
    def __init__(self, image: _Optional[_Union[Image, _Mapping]] = ...) -> None: ...

class CreateDiskRequest(_message.Message):
    __slots__ = ["image", "name", "project"]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    image: str
    name: str
    project: str
    def __init__(self, project: _Optional[str] = ..., name: _Optional[str] = ..., image: _Optional[str] = ...) -> None: ...

class CreateDiskResponse(_message.Message):
    __slots__ = ["created", "disk"]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    DISK_FIELD_NUMBER: _ClassVar[int]
    created: bool
    disk: Disk
    def __init__(self, disk: _Optional[_Union[Disk, _Mapping]] = ..., created: bool = ...) -> None: ...

class CreateDisksItem(_message.Message):
    __slots__ = ["request", "request_id"]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    request: CreateDiskRequest
    request_id: str
    def __init__(self, request: _Optional[_Union[CreateDiskRequest, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateDisksRequest(_message.Message):
    __slots__ = ["items"]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[CreateDisksItem]
    def __init__(self, items: _Optional[_Iterable[_Union[CreateDisksItem, _Mapping]]] = ...) -> None: ...

class CreateDisksResponse(_message.Message):
    __slots__ = ["results"]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[CreateDisksResult]
    def __init__(self, results: _Optional[_Iterable[_Union[CreateDisksResult, _Mapping]]] = ...) -> None: ...

class CreateDisksResult(_message.Message):
    __slots__ = ["error", "response"]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.ItemError
    response: CreateDiskResponse
    def __init__(self, response: _Optional[_Union[CreateDiskResponse, _Mapping]] = ..., error: _Optional[_Union[_common_pb2.ItemError, _Mapping]] = ...) -> None: ...

class CreateSnapshotRequest(_message.Message):
    __slots__ = ["disk", "name", "project"]
    DISK_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    disk: str
    name: str
    project: str
    def __init__(self, project: _Optional[str] = ..., disk: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class CreateSnapshotResponse(_message.Message):
    __slots__ = ["image"]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    image: Image
    def __init__(self, image: _Optional[_Union[Image, _Mapping]] = ...) -> None: ...

class DeleteDiskRequest(_message.Message):
    __slots__ = ["name", "project"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    name: str
    project: str
    def __init__(self, project: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class DeleteDiskResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class DeleteDisksItem(_message.Message):
    __slots__ = ["request", "request_id"]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    request: DeleteDiskRequest
    request_id: str
    def __init__(self, request: _Optional[_Union[DeleteDiskRequest, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class DeleteDisksRequest(_message.Message):
    __slots__ = ["items"]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[DeleteDisksItem]
    def __init__(self, items: _Optional[_Iterable[_Union[DeleteDisksItem, _Mapping]]] = ...) -> None: ...

class DeleteDisksResponse(_message.Message):
    __slots__ = ["results"]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[DeleteDisksResult]
    def __init__(self, results: _Optional[_Iterable[_Union[DeleteDisksResult, _Mapping]]] = ...) -> None: ...

class DeleteDisksResult(_message.Message):
    __slots__ = ["error", "response"]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.ItemError
    response: DeleteDiskResponse
    def __init__(self, response: _Optional[_Union[DeleteDiskResponse, _Mapping]] = ..., error: _Optional[_Union[_common_pb2.ItemError, _Mapping]] = ...) -> None: ...

class DeleteImageRequest(_message.Message):
    __slots__ = ["name", "project"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    name: str
    project: str
    def __init__(self, project: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class DeleteImageResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class Disk(_message.Message):
    __slots__ = ["backend", "backing", "created", "image", "name", "project", "size_bytes"]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    BACKING_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    backend: str
    backing: _common_pb2.Backing
    created: _timestamp_pb2.Timestamp
    image: str
    name: str
    project: str
    size_bytes: int
    def __init__(self, name: _Optional[str] = ..., project: _Optional[str] = ..., image: _Optional[str] = ..., created: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., backing: _Optional[_Union[_common_pb2.Backing, _Mapping]] = ..., size_bytes: _Optional[int] = ..., backend: _Optional[str] = ...) -> None: ...

class DownloadHeader(_message.Message):
    __slots__ = ["checksum", "size_bytes"]
    CHECKSUM_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    checksum: str
    size_bytes: int
    def __init__(self, size_bytes: _Optional[int] = ..., checksum: _Optional[str] = ...) -> None: ...

class DownloadImageRequest(_message.Message):
    __slots__ = ["name", "project"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    name: str
    project: str
    def __init__(self, project: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class DownloadImageResponse(_message.Message):
    __slots__ = ["chunk", "header"]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    chunk: bytes
    header: DownloadHeader
    def __init__(self, header: _Optional[_Union[DownloadHeader, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class GetDiskRequest(_message.Message):
    __slots__ = ["name", "project"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    name: str
    project: str
    def __init__(self, project: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class GetDiskResponse(_message.Message):
    __slots__ = ["disk"]
    DISK_FIELD_NUMBER: _ClassVar[int]
    disk: Disk
    def __init__(self, disk: _Optional[_Union[Disk, _Mapping]] = ...) -> None: ...

class GetDisksItem(_message.Message):
    __slots__ = ["request", "request_id"]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    request: GetDiskRequest
    request_id: str
    def __init__(self, request: _Optional[_Union[GetDiskRequest, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetDisksRequest(_message.Message):
    __slots__ = ["items"]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[GetDisksItem]
    def __init__(self, items: _Optional[_Iterable[_Union[GetDisksItem, _Mapping]]] = ...) -> None: ...

class GetDisksResponse(_message.Message):
    __slots__ = ["results"]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[GetDisksResult]
    def __init__(self, results: _Optional[_Iterable[_Union[GetDisksResult, _Mapping]]] = ...) -> None: ...

class GetDisksResult(_message.Message):
    __slots__ = ["error", "response"]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.ItemError
    response: GetDiskResponse
    def __init__(self, response: _Optional[_Union[GetDiskResponse, _Mapping]] = ..., error: _Optional[_Union[_common_pb2.ItemError, _Mapping]] = ...) -> None: ...

class GetImageRequest(_message.Message):
    __slots__ = ["name", "project"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    name: str
    project: str
    def __init__(self, project: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class GetImageResponse(_message.Message):
    __slots__ = ["image"]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    image: Image
    def __init__(self, image: _Optional[_Union[Image, _Mapping]] = ...) -> None: ...

class GetQuotaRequest(_message.Message):
    __slots__ = ["project"]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: str
    def __init__(self, project: _Optional[str] = ...) -> None: ...

class GetQuotaResponse(_message.Message):
    __slots__ = ["quotas"]
    QUOTAS_FIELD_NUMBER: _ClassVar[int]
    quotas: _containers.RepeatedCompositeFieldContainer[_common_pb2.Quota]
    def __init__(self, quotas: _Optional[_Iterable[_Union[_common_pb2.Quota, _Mapping]]] = ...) -> None: ...

class Image(_message.Message):
    __slots__ = ["backend", "checksum", "created", "disk_count", "name", "parent", "project", "public", "size_bytes", "snapshot_count", "source_disk"]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    CHECKSUM_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    DISK_COUNT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_COUNT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_DISK_FIELD_NUMBER: _ClassVar[int]
    backend: str
    checksum: str
    created: _timestamp_pb2.Timestamp
    disk_count: int
    name: str
    parent: str
    project: str
    public: bool
    size_bytes: int
    snapshot_count: int
    source_disk: str
    def __init__(self, name: _Optional[str] = ..., project: _Optional[str] = ..., size_bytes: _Optional[int] = ..., checksum: _Optional[str] = ..., parent: _Optional[str] = ..., created: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., public: bool = ..., disk_count: _Optional[int] = ..., snapshot_count: _Optional[int] = ..., source_disk: _Optional[str] = ..., backend: _Optional[str] = ...) -> None: ...

class ImportImageRequest(_message.Message):
    __slots__ = ["ceph", "file_path", "format", "name", "project", "public"]
    CEPH_FIELD_NUMBER: _ClassVar[int]
    FILE_PATH_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_FIELD_NUMBER: _ClassVar[int]
    ceph: CephImageSource
    file_path: str
    format: ImageFormat
    name: str
    project: str
    public: bool
    def __init__(self, project: _Optional[str] = ..., name: _Optional[str] = ..., ceph: _Optional[_Union[CephImageSource, _Mapping]] = ..., file_path: _Optional[str] = ..., format: _Optional[_Union[ImageFormat, str]] = ..., public: bool = ...) -> None: ...

class ImportImageResponse(_message.Message):
    __slots__ = ["image"]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    image: Image
    def __init__(self, image: _Optional[_Union[Image, _Mapping]] = ...) -> None: ...

class ListDisksRequest(_message.Message):
    __slots__ = ["project"]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: str
    def __init__(self, project: _Optional[str] = ...) -> None: ...

class ListDisksResponse(_message.Message):
    __slots__ = ["disks"]
    DISKS_FIELD_NUMBER: _ClassVar[int]
    disks: _containers.RepeatedCompositeFieldContainer[Disk]
    def __init__(self, disks: _Optional[_Iterable[_Union[Disk, _Mapping]]] = ...) -> None: ...

class ListImagesRequest(_message.Message):
    __slots__ = ["include_public", "page_size", "page_token", "project"]
    INCLUDE_PUBLIC_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    include_public: bool
    page_size: int
    page_token: str
    project: str
    def __init__(self, project: _Optional[str] = ..., include_public: bool = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListImagesResponse(_message.Message):
    __slots__ = ["images", "next_page_token"]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    images: _containers.RepeatedCompositeFieldContainer[Image]
    next_page_token: str
    def __init__(self, images: _Optional[_Iterable[_Union[Image, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListSnapshotsRequest(_message.Message):
    __slots__ = ["project"]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: str
    def __init__(self, project: _Optional[str] = ...) -> None: ...

class ListSnapshotsResponse(_message.Message):
    __slots__ = ["snapshots"]
    SNAPSHOTS_FIELD_NUMBER: _ClassVar[int]
    snapshots: _containers.RepeatedCompositeFieldContainer[Image]
    def __init__(self, snapshots: _Optional[_Iterable[_Union[Image, _Mapping]]] = ...) -> None: ...

class RenameImageRequest(_message.Message):
    __slots__ = ["name", "new_name", "project"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NEW_NAME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    name: str
    new_name: str
    project: str
    def __init__(self, project: _Optional[str] = ..., name: _Optional[str] = ..., new_name: _Optional[str] = ...) -> None: ...

class RenameImageResponse(_message.Message):
    __slots__ = ["image"]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    image: Image
    def __init__(self, image: _Optional[_Union[Image, _Mapping]] = ...) -> None: ...

class SetImageVisibilityRequest(_message.Message):
    __slots__ = ["name", "project", "public"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_FIELD_NUMBER: _ClassVar[int]
    name: str
    project: str
    public: bool
    def __init__(self, project: _Optional[str] = ..., name: _Optional[str] = ..., public: bool = ...) -> None: ...

class SetImageVisibilityResponse(_message.Message):
    __slots__ = ["image"]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    image: Image
    def __init__(self, image: _Optional[_Union[Image, _Mapping]] = ...) -> None: ...

class SetQuotaRequest(_message.Message):
    __slots__ = ["project", "quotas"]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    QUOTAS_FIELD_NUMBER: _ClassVar[int]
    project: str
    quotas: _containers.RepeatedCompositeFieldContainer[_common_pb2.Quota]
    def __init__(self, project: _Optional[str] = ..., quotas: _Optional[_Iterable[_Union[_common_pb2.Quota, _Mapping]]] = ...) -> None: ...

class SetQuotaResponse(_message.Message):
    __slots__ = ["quotas"]
    QUOTAS_FIELD_NUMBER: _ClassVar[int]
    quotas: _containers.RepeatedCompositeFieldContainer[_common_pb2.Quota]
    def __init__(self, quotas: _Optional[_Iterable[_Union[_common_pb2.Quota, _Mapping]]] = ...) -> None: ...

class UploadHeader(_message.Message):
    __slots__ = ["checksum", "format", "name", "project", "public", "size_bytes"]
    CHECKSUM_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    checksum: str
    format: ImageFormat
    name: str
    project: str
    public: bool
    size_bytes: int
    def __init__(self, project: _Optional[str] = ..., name: _Optional[str] = ..., format: _Optional[_Union[ImageFormat, str]] = ..., size_bytes: _Optional[int] = ..., checksum: _Optional[str] = ..., public: bool = ...) -> None: ...

class UploadImageRequest(_message.Message):
    __slots__ = ["chunk", "header"]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    chunk: bytes
    header: UploadHeader
    def __init__(self, header: _Optional[_Union[UploadHeader, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class UploadImageResponse(_message.Message):
    __slots__ = ["image"]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    image: Image
    def __init__(self, image: _Optional[_Union[Image, _Mapping]] = ...) -> None: ...

class ImageFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
