from bmi.orchestrator.v1 import orchestrator_pb2 as _orchestrator_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
LEASE_STATE_ACTIVE: LeaseState
LEASE_STATE_ENDED: LeaseState
LEASE_STATE_ENDING: LeaseState
LEASE_STATE_PENDING: LeaseState
LEASE_STATE_UNSPECIFIED: LeaseState
PLACEMENT_PACK: Placement
PLACEMENT_SPREAD: Placement
PLACEMENT_UNSPECIFIED: Placement

class AllocateBulkRequest(_message.Message):
    __slots__ = ["all_or_nothing", "dry_run", "idempotency_key", "image", "max_parallel", "min_success", "network", "nodes", "options", "project"]
    ALL_OR_NOTHING_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    MAX_PARALLEL_FIELD_NUMBER: _ClassVar[int]
    MIN_SUCCESS_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    all_or_nothing: bool
    dry_run: bool
    idempotency_key: str
    image: str
    max_parallel: int
    min_success: int
    network: str
    nodes: NodeRequest
    options: _orchestrator_pb2.ProvisionOptions
    project: str
    def __init__(self, project: _Optional[str] = ..., nodes: _Optional[_Union[NodeRequest, _Mapping]] = ..., image: _Optional[str] = ..., network: _Optional[str] = ..., max_parallel: _Optional[int] = ..., min_success: _Optional[int] = ..., all_or_nothing: bool = ..., options: _Optional[_Union[_orchestrator_pb2.ProvisionOptions, _Mapping]] = ..., idempotency_key: _Optional[str] = ..., dry_run: bool = ...) -> None: ...

class AllocateBulkResponse(_message.Message):
    __slots__ = ["job", "plan"]
    JOB_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    job: _orchestrator_pb2.Job
    plan: Plan
    def __init__(self, job: _Optional[_Union[_orchestrator_pb2.Job, _Mapping]] = ..., plan: _Optional[_Union[Plan, _Mapping]] = ...) -> None: ...

class Cluster(_message.Message):
    __slots__ = ["created", "lease", "name", "node_metadata", "project", "roles", "template"]
    class NodeMetadataEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CREATED_FIELD_NUMBER: _ClassVar[int]
    LEASE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NODE_METADATA_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    created: _timestamp_pb2.Timestamp
    lease: Lease
    name: str
    node_metadata: _containers.ScalarMap[str, str]
    project: str
    roles: _containers.RepeatedCompositeFieldContainer[ClusterRole]
    template: str
    def __init__(self, name: _Optional[str] = ..., project: _Optional[str] = ..., template: _Optional[str] = ..., roles: _Optional[_Iterable[_Union[ClusterRole, _Mapping]]] = ..., lease: _Optional[_Union[Lease, _Mapping]] = ..., created: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., node_metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ClusterRole(_message.Message):
    __slots__ = ["count", "image", "max", "metadata", "min", "name", "nodes", "order"]
    class MetadataEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    COUNT_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    MIN_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    count: int
    image: str
    max: int
    metadata: _containers.ScalarMap[str, str]
    min: int
    name: str
    nodes: _containers.RepeatedScalarFieldContainer[str]
    order: int
    def __init__(self, name: _Optional[str] = ..., image: _Optional[str] = ..., count: _Optional[int] = ..., min: _Optional[int] = ..., max: _Optional[int] = ..., order: _Optional[int] = ..., nodes: _Optional[_Iterable[str]] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CreateClusterRequest(_message.Message):
    __slots__ = ["dry_run", "end", "name", "power_cycle", "project", "template"]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    POWER_CYCLE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    dry_run: bool
    end: _timestamp_pb2.Timestamp
    name: str
    power_cycle: bool
    project: str
    template: str
    def __init__(self, project: _Optional[str] = ..., name: _Optional[str] = ..., template: _Optional[str] = ..., end: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., dry_run: bool = ..., power_cycle: bool = ...) -> None: ...

class CreateClusterResponse(_message.Message):
    __slots__ = ["cluster", "plan"]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    cluster: Cluster
    plan: Plan
    def __init__(self, cluster: _Optional[_Union[Cluster, _Mapping]] = ..., plan: _Optional[_Union[Plan, _Mapping]] = ...) -> None: ...

class CreateLeaseRequest(_message.Message):
    __slots__ = ["delete_disks", "dry_run", "duration_seconds", "end", "image", "network", "nodes", "power_cycle", "project", "start"]
    DELETE_DISKS_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    POWER_CYCLE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    delete_disks: bool
    dry_run: bool
    duration_seconds: int
    end: _timestamp_pb2.Timestamp
    image: str
    network: str
    nodes: NodeRequest
    power_cycle: bool
    project: str
    start: _timestamp_pb2.Timestamp
    def __init__(self, project: _Optional[str] = ..., nodes: _Optional[_Union[NodeRequest, _Mapping]] = ..., image: _Optional[str] = ..., network: _Optional[str] = ..., start: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., duration_seconds: _Optional[int] = ..., delete_disks: bool = ..., power_cycle: bool = ..., dry_run: bool = ...) -> None: ...

class CreateLeaseResponse(_message.Message):
    __slots__ = ["lease", "plan"]
    LEASE_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    lease: Lease
    plan: Plan
    def __init__(self, lease: _Optional[_Union[Lease, _Mapping]] = ..., plan: _Optional[_Union[Plan, _Mapping]] = ...) -> None: ...

class DeleteClusterRequest(_message.Message):
    __slots__ = ["name", "project"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    name: str
    project: str
    def __init__(self, project: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class DeleteClusterResponse(_message.Message):
    __slots__ = ["cluster"]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    cluster: Cluster
    def __init__(self, cluster: _Optional[_Union[Cluster, _Mapping]] = ...) -> None: ...

class EndLeaseRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class EndLeaseResponse(_message.Message):
    __slots__ = ["lease"]
    LEASE_FIELD_NUMBER: _ClassVar[int]
    lease: Lease
    def __init__(self, lease: _Optional[_Union[Lease, _Mapping]] = ...) -> None: ...

class GetClusterRequest(_message.Message):
    __slots__ = ["name", "project"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    name: str
    project: str
    def __init__(self, project: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class GetClusterResponse(_message.Message):
    __slots__ = ["cluster"]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    cluster: Cluster
    def __init__(self, cluster: _Optional[_Union[Cluster, _Mapping]] = ...) -> None: ...

class GetLeaseRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetLeaseResponse(_message.Message):
    __slots__ = ["lease"]
    LEASE_FIELD_NUMBER: _ClassVar[int]
    lease: Lease
    def __init__(self, lease: _Optional[_Union[Lease, _Mapping]] = ...) -> None: ...

class Lease(_message.Message):
    __slots__ = ["cluster", "created", "delete_disks", "end", "end_jobs", "error", "id", "nodes", "project", "start", "start_jobs", "state", "stuck_nodes", "user"]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    DELETE_DISKS_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    END_JOBS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    START_JOBS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STUCK_NODES_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    created: _timestamp_pb2.Timestamp
    delete_disks: bool
    end: _timestamp_pb2.Timestamp
    end_jobs: _containers.RepeatedScalarFieldContainer[str]
    error: str
    id: str
    nodes: _containers.RepeatedCompositeFieldContainer[PlannedNode]
    project: str
    start: _timestamp_pb2.Timestamp
    start_jobs: _containers.RepeatedScalarFieldContainer[str]
    state: LeaseState
    stuck_nodes: _containers.RepeatedCompositeFieldContainer[StuckNode]
    user: str
    def __init__(self, id: _Optional[str] = ..., project: _Optional[str] = ..., state: _Optional[_Union[LeaseState, str]] = ..., start: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., nodes: _Optional[_Iterable[_Union[PlannedNode, _Mapping]]] = ..., delete_disks: bool = ..., start_jobs: _Optional[_Iterable[str]] = ..., end_jobs: _Optional[_Iterable[str]] = ..., error: _Optional[str] = ..., created: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., cluster: _Optional[str] = ..., user: _Optional[str] = ..., stuck_nodes: _Optional[_Iterable[_Union[StuckNode, _Mapping]]] = ...) -> None: ...

class LeaseEvent(_message.Message):
    __slots__ = ["cluster", "detail", "end", "kind", "lease_id", "nodes", "project", "time"]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    cluster: str
    detail: str
    end: _timestamp_pb2.Timestamp
    kind: str
    lease_id: str
    nodes: _containers.RepeatedScalarFieldContainer[str]
    project: str
    time: _timestamp_pb2.Timestamp
    def __init__(self, lease_id: _Optional[str] = ..., project: _Optional[str] = ..., kind: _Optional[str] = ..., time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., nodes: _Optional[_Iterable[str]] = ..., cluster: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class ListClustersRequest(_message.Message):
    __slots__ = ["project"]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: str
    def __init__(self, project: _Optional[str] = ...) -> None: ...

class ListClustersResponse(_message.Message):
    __slots__ = ["clusters"]
    CLUSTERS_FIELD_NUMBER: _ClassVar[int]
    clusters: _containers.RepeatedCompositeFieldContainer[Cluster]
    def __init__(self, clusters: _Optional[_Iterable[_Union[Cluster, _Mapping]]] = ...) -> None: ...

class ListLeasesRequest(_message.Message):
    __slots__ = ["project"]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: str
    def __init__(self, project: _Optional[str] = ...) -> None: ...

class ListLeasesResponse(_message.Message):
    __slots__ = ["leases"]
    LEASES_FIELD_NUMBER: _ClassVar[int]
    leases: _containers.RepeatedCompositeFieldContainer[Lease]
    def __init__(self, leases: _Optional[_Iterable[_Union[Lease, _Mapping]]] = ...) -> None: ...

class NodeRequest(_message.Message):
    __slots__ = ["count", "min_count", "placement", "selector"]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    MIN_COUNT_FIELD_NUMBER: _ClassVar[int]
    PLACEMENT_FIELD_NUMBER: _ClassVar[int]
    SELECTOR_FIELD_NUMBER: _ClassVar[int]
    count: int
    min_count: int
    placement: Placement
    selector: str
    def __init__(self, count: _Optional[int] = ..., selector: _Optional[str] = ..., placement: _Optional[_Union[Placement, str]] = ..., min_count: _Optional[int] = ...) -> None: ...

class Plan(_message.Message):
    __slots__ = ["estimate_basis", "estimate_seconds", "nodes", "problems", "quota_after", "quota_limit", "quota_used"]
    ESTIMATE_BASIS_FIELD_NUMBER: _ClassVar[int]
    ESTIMATE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    QUOTA_AFTER_FIELD_NUMBER: _ClassVar[int]
    QUOTA_LIMIT_FIELD_NUMBER: _ClassVar[int]
    QUOTA_USED_FIELD_NUMBER: _ClassVar[int]
    estimate_basis: str
    estimate_seconds: float
    nodes: _containers.RepeatedCompositeFieldContainer[PlannedNode]
    problems: _containers.RepeatedScalarFieldContainer[str]
    quota_after: int
    quota_limit: int
    quota_used: int
    def __init__(self, nodes: _Optional[_Iterable[_Union[PlannedNode, _Mapping]]] = ..., quota_limit: _Optional[int] = ..., quota_used: _Optional[int] = ..., quota_after: _Optional[int] = ..., problems: _Optional[_Iterable[str]] = ..., estimate_seconds: _Optional[float] = ..., estimate_basis: _Optional[str] = ...) -> None: ...

class PlannedNode(_message.Message):
    __slots__ = ["image", "network", "node", "rack", "role"]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    RACK_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    image: str
    network: str
    node: str
    rack: str
    role: str
    def __init__(self, node: _Optional[str] = ..., image: _Optional[str] = ..., rack: _Optional[str] = ..., role: _Optional[str] = ..., network: _Optional[str] = ...) -> None: ...

class ScaleClusterRequest(_message.Message):
    __slots__ = ["count", "dry_run", "name", "project", "role"]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    count: int
    dry_run: bool
    name: str
    project: str
    role: str
    def __init__(self, project: _Optional[str] = ..., name: _Optional[str] = ..., role: _Optional[str] = ..., count: _Optional[int] = ..., dry_run: bool = ...) -> None: ...

class ScaleClusterResponse(_message.Message):
    __slots__ = ["cluster", "plan"]
    CLUSTER_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    cluster: Cluster
    plan: Plan
    def __init__(self, cluster: _Optional[_Union[Cluster, _Mapping]] = ..., plan: _Optional[_Union[Plan, _Mapping]] = ...) -> None: ...

class StuckNode(_message.Message):
    __slots__ = ["attempts", "error", "job", "next_attempt", "node"]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    attempts: int
    error: str
    job: str
    next_attempt: _timestamp_pb2.Timestamp
    node: str
    def __init__(self, node: _Optional[str] = ..., error: _Optional[str] = ..., attempts: _Optional[int] = ..., job: _Optional[str] = ..., next_attempt: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UpdateLeaseRequest(_message.Message):
    __slots__ = ["end", "id"]
    END_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    end: _timestamp_pb2.Timestamp
    id: str
    def __init__(self, id: _Optional[str] = ..., end: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UpdateLeaseResponse(_message.Message):
    __slots__ = ["lease"]
    LEASE_FIELD_NUMBER: _ClassVar[int]
    lease: Lease
    def __init__(self, lease: _Optional[_Union[Lease, _Mapping]] = ...) -> None: ...

class Placement(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class LeaseState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
