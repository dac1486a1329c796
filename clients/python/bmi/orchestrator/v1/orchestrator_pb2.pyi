from bmi.common.v1 import common_pb2 as _common_pb2
from bmi.events.v1 import events_pb2 as _events_pb2
from bmi.haas.v1 import haas_pb2 as _haas_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
DRIFT_KIND_DEAD_TARGET: DriftKind
DRIFT_KIND_MISSING_BOOT_CONFIG: DriftKind
DRIFT_KIND_MISSING_DISK: DriftKind
DRIFT_KIND_MISSING_TARGET: DriftKind
DRIFT_KIND_NOT_ALLOCATED: DriftKind
DRIFT_KIND_ORPHAN_ALLOCATION: DriftKind
DRIFT_KIND_ORPHAN_BOOT_CONFIG: DriftKind
DRIFT_KIND_ORPHAN_DISK: DriftKind
DRIFT_KIND_ORPHAN_TARGET: DriftKind
DRIFT_KIND_STALE_RECORD: DriftKind
DRIFT_KIND_UNSPECIFIED: DriftKind
DRIFT_KIND_WRONG_BOOT_CONFIG: DriftKind
JOB_KIND_BULK: JobKind
JOB_KIND_DEPROVISION: JobKind
JOB_KIND_PROVISION: JobKind
JOB_KIND_REPROVISION: JobKind
JOB_KIND_SNAPSHOT: JobKind
JOB_KIND_UNSPECIFIED: JobKind
JOB_STATE_CANCELLED: JobState
JOB_STATE_CANCELLING: JobState
JOB_STATE_FAILED: JobState
JOB_STATE_PARTIAL: JobState
JOB_STATE_PENDING: JobState
JOB_STATE_RUNNING: JobState
JOB_STATE_SUCCEEDED: JobState
JOB_STATE_UNSPECIFIED: JobState
NODE_STATE_BOOTED: NodeState
NODE_STATE_BOOTING: NodeState
NODE_STATE_DEPROVISIONED: NodeState
NODE_STATE_DEPROVISIONING: NodeState
NODE_STATE_FAILED: NodeState
NODE_STATE_PROVISIONING: NodeState
NODE_STATE_READY: NodeState
NODE_STATE_UNSPECIFIED: NodeState
POWER_ACTION_CYCLE: PowerAction
POWER_ACTION_OFF: PowerAction
POWER_ACTION_ON: PowerAction
POWER_ACTION_UNSPECIFIED: PowerAction
STEP_STATE_FAILED: StepState
STEP_STATE_PENDING: StepState
STEP_STATE_RUNNING: StepState
STEP_STATE_SKIPPED: StepState
STEP_STATE_SUCCEEDED: StepState
STEP_STATE_UNDONE: StepState
STEP_STATE_UNSPECIFIED: StepState

class BulkDeprovisionRequest(_message.Message):
    __slots__ = ["all", "delete_disk", "idempotency_key", "max_parallel", "nodes", "project", "release_node"]
    ALL_FIELD_NUMBER: _ClassVar[int]
    DELETE_DISK_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    MAX_PARALLEL_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    RELEASE_NODE_FIELD_NUMBER: _ClassVar[int]
    all: bool
    delete_disk: bool
    idempotency_key: str
    max_parallel: int
    nodes: _containers.RepeatedScalarFieldContainer[str]
    project: str
    release_node: bool
    def __init__(self, project: _Optional[str] = ..., nodes: _Optional[_Iterable[str]] = ..., all: bool = ..., delete_disk: bool = ..., release_node: bool = ..., max_parallel: _Optional[int] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class BulkDeprovisionResponse(_message.Message):
    __slots__ = ["job"]
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class BulkProvisionRequest(_message.Message):
    __slots__ = ["all_or_nothing", "free_nodes", "idempotency_key", "max_parallel", "min_success", "options", "project", "specs"]
    ALL_OR_NOTHING_FIELD_NUMBER: _ClassVar[int]
    FREE_NODES_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    MAX_PARALLEL_FIELD_NUMBER: _ClassVar[int]
    MIN_SUCCESS_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    SPECS_FIELD_NUMBER: _ClassVar[int]
    all_or_nothing: bool
    free_nodes: FreeNodesSelector
    idempotency_key: str
    max_parallel: int
    min_success: int
    options: ProvisionOptions
    project: str
    specs: NodeSpecList
    def __init__(self, project: _Optional[str] = ..., specs: _Optional[_Union[NodeSpecList, _Mapping]] = ..., free_nodes: _Optional[_Union[FreeNodesSelector, _Mapping]] = ..., max_parallel: _Optional[int] = ..., min_success: _Optional[int] = ..., options: _Optional[_Union[ProvisionOptions, _Mapping]] = ..., idempotency_key: _Optional[str] = ..., all_or_nothing: bool = ...) -> None: ...

class BulkProvisionResponse(_message.Message):
    __slots__ = ["job"]
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class CancelJobRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class CancelJobResponse(_message.Message):
    __slots__ = ["job"]
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class CheckDriftRequest(_message.Message):
    __slots__ = ["repair"]
    REPAIR_FIELD_NUMBER: _ClassVar[int]
    repair: bool
    def __init__(self, repair: bool = ...) -> None: ...

class CheckDriftResponse(_message.Message):
    __slots__ = ["boot_configs", "busy_nodes", "checked", "disks", "findings", "provisioned_nodes", "skipped", "targets"]
    BOOT_CONFIGS_FIELD_NUMBER: _ClassVar[int]
    BUSY_NODES_FIELD_NUMBER: _ClassVar[int]
    CHECKED_FIELD_NUMBER: _ClassVar[int]
    DISKS_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    PROVISIONED_NODES_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    boot_configs: int
    busy_nodes: _containers.RepeatedScalarFieldContainer[str]
    checked: _timestamp_pb2.Timestamp
    disks: int
    findings: _containers.RepeatedCompositeFieldContainer[DriftFinding]
    provisioned_nodes: int
    skipped: _containers.RepeatedScalarFieldContainer[str]
    targets: int
    def __init__(self, findings: _Optional[_Iterable[_Union[DriftFinding, _Mapping]]] = ..., checked: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., provisioned_nodes: _Optional[int] = ..., disks: _Optional[int] = ..., targets: _Optional[int] = ..., boot_configs: _Optional[int] = ..., busy_nodes: _Optional[_Iterable[str]] = ..., skipped: _Optional[_Iterable[str]] = ...) -> None: ...

class ChildFailure(_message.Message):
    __slots__ = ["delete_disk", "error", "job_id", "release_node", "spec", "state"]
    DELETE_DISK_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    RELEASE_NODE_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    delete_disk: bool
    error: str
    job_id: str
    release_node: bool
    spec: NodeSpec
    state: JobState
    def __init__(self, job_id: _Optional[str] = ..., spec: _Optional[_Union[NodeSpec, _Mapping]] = ..., state: _Optional[_Union[JobState, str]] = ..., error: _Optional[str] = ..., delete_disk: bool = ..., release_node: bool = ...) -> None: ...

class DeprovisionNodeRequest(_message.Message):
    __slots__ = ["delete_disk", "idempotency_key", "node", "project", "release_node"]
    DELETE_DISK_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    RELEASE_NODE_FIELD_NUMBER: _ClassVar[int]
    delete_disk: bool
    idempotency_key: str
    node: str
    project: str
    release_node: bool
    def __init__(self, project: _Optional[str] = ..., node: _Optional[str] = ..., delete_disk: bool = ..., release_node: bool = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class DeprovisionNodeResponse(_message.Message):
    __slots__ = ["job"]
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class DriftFinding(_message.Message):
    __slots__ = ["detail", "fix", "kind", "node", "project", "repair_error", "repaired", "resource", "safe"]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    FIX_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    REPAIRED_FIELD_NUMBER: _ClassVar[int]
    REPAIR_ERROR_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    SAFE_FIELD_NUMBER: _ClassVar[int]
    detail: str
    fix: str
    kind: DriftKind
    node: str
    project: str
    repair_error: str
    repaired: bool
    resource: str
    safe: bool
    def __init__(self, kind: _Optional[_Union[DriftKind, str]] = ..., project: _Optional[str] = ..., node: _Optional[str] = ..., resource: _Optional[str] = ..., detail: _Optional[str] = ..., fix: _Optional[str] = ..., safe: bool = ..., repaired: bool = ..., repair_error: _Optional[str] = ...) -> None: ...

class FreeNodesSelector(_message.Message):
    __slots__ = ["count", "image", "network"]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    count: int
    image: str
    network: str
    def __init__(self, count: _Optional[int] = ..., image: _Optional[str] = ..., network: _Optional[str] = ...) -> None: ...

class GetJobRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetJobResponse(_message.Message):
    __slots__ = ["job"]
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class GetNodePowerRequest(_message.Message):
    __slots__ = ["node", "project"]
    NODE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    node: str
    project: str
    def __init__(self, project: _Optional[str] = ..., node: _Optional[str] = ...) -> None: ...

class GetNodePowerResponse(_message.Message):
    __slots__ = ["state"]
    STATE_FIELD_NUMBER: _ClassVar[int]
    state: _haas_pb2.PowerState
    def __init__(self, state: _Optional[_Union[_haas_pb2.PowerState, str]] = ...) -> None: ...

class GetNodeRequest(_message.Message):
    __slots__ = ["node"]
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: str
    def __init__(self, node: _Optional[str] = ...) -> None: ...

class GetNodeResponse(_message.Message):
    __slots__ = ["node", "provisioned"]
    NODE_FIELD_NUMBER: _ClassVar[int]
    PROVISIONED_FIELD_NUMBER: _ClassVar[int]
    node: _haas_pb2.Node
    provisioned: Provisioned
    def __init__(self, node: _Optional[_Union[_haas_pb2.Node, _Mapping]] = ..., provisioned: _Optional[_Union[Provisioned, _Mapping]] = ...) -> None: ...

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

class Job(_message.Message):
    __slots__ = ["cancelled", "child_ids", "child_kind", "created", "error", "failed", "failures", "finished", "id", "idempotency_key", "kind", "node", "parent_id", "project", "state", "steps", "succeeded", "total", "updated"]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    CHILD_IDS_FIELD_NUMBER: _ClassVar[int]
    CHILD_KIND_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    PARENT_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    SUCCEEDED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    cancelled: int
    child_ids: _containers.RepeatedScalarFieldContainer[str]
    child_kind: JobKind
    created: _timestamp_pb2.Timestamp
    error: str
    failed: int
    failures: _containers.RepeatedCompositeFieldContainer[ChildFailure]
    finished: _timestamp_pb2.Timestamp
    id: str
    idempotency_key: str
    kind: JobKind
    node: str
    parent_id: str
    project: str
    state: JobState
    steps: _containers.RepeatedCompositeFieldContainer[Step]
    succeeded: int
    total: int
    updated: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., kind: _Optional[_Union[JobKind, str]] = ..., project: _Optional[str] = ..., state: _Optional[_Union[JobState, str]] = ..., node: _Optional[str] = ..., steps: _Optional[_Iterable[_Union[Step, _Mapping]]] = ..., error: _Optional[str] = ..., created: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., updated: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., finished: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., parent_id: _Optional[str] = ..., child_ids: _Optional[_Iterable[str]] = ..., total: _Optional[int] = ..., succeeded: _Optional[int] = ..., failed: _Optional[int] = ..., idempotency_key: _Optional[str] = ..., cancelled: _Optional[int] = ..., failures: _Optional[_Iterable[_Union[ChildFailure, _Mapping]]] = ..., child_kind: _Optional[_Union[JobKind, str]] = ...) -> None: ...

class ListAuditRecordsRequest(_message.Message):
    __slots__ = ["limit", "project", "resource", "since", "until", "user"]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    limit: int
    project: str
    resource: str
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    user: str
    def __init__(self, project: _Optional[str] = ..., user: _Optional[str] = ..., since: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., resource: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ListAuditRecordsResponse(_message.Message):
    __slots__ = ["records", "truncated"]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[_events_pb2.AuditRecord]
    truncated: bool
    def __init__(self, records: _Optional[_Iterable[_Union[_events_pb2.AuditRecord, _Mapping]]] = ..., truncated: bool = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ["include_children", "limit", "project", "state"]
    INCLUDE_CHILDREN_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    include_children: bool
    limit: int
    project: str
    state: JobState
    def __init__(self, project: _Optional[str] = ..., state: _Optional[_Union[JobState, str]] = ..., limit: _Optional[int] = ..., include_children: bool = ...) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ["jobs"]
    JOBS_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[Job]
    def __init__(self, jobs: _Optional[_Iterable[_Union[Job, _Mapping]]] = ...) -> None: ...

class ListNodesRequest(_message.Message):
    __slots__ = ["filter", "project"]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    filter: _haas_pb2.NodeFilter
    project: str
    def __init__(self, filter: _Optional[_Union[_haas_pb2.NodeFilter, str]] = ..., project: _Optional[str] = ...) -> None: ...

class ListNodesResponse(_message.Message):
    __slots__ = ["nodes", "notice"]
    NODES_FIELD_NUMBER: _ClassVar[int]
    NOTICE_FIELD_NUMBER: _ClassVar[int]
    nodes: _containers.RepeatedCompositeFieldContainer[_haas_pb2.Node]
    notice: str
    def __init__(self, nodes: _Optional[_Iterable[_Union[_haas_pb2.Node, _Mapping]]] = ..., notice: _Optional[str] = ...) -> None: ...

class ListProvisionedRequest(_message.Message):
    __slots__ = ["project"]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: str
    def __init__(self, project: _Optional[str] = ...) -> None: ...

class ListProvisionedResponse(_message.Message):
    __slots__ = ["nodes"]
    NODES_FIELD_NUMBER: _ClassVar[int]
    nodes: _containers.RepeatedCompositeFieldContainer[Provisioned]
    def __init__(self, nodes: _Optional[_Iterable[_Union[Provisioned, _Mapping]]] = ...) -> None: ...

class NodeSpec(_message.Message):
    __slots__ = ["disk", "image", "network", "nic", "node"]
    DISK_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    NIC_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    disk: str
    image: str
    network: str
    nic: str
    node: str
    def __init__(self, node: _Optional[str] = ..., image: _Optional[str] = ..., disk: _Optional[str] = ..., nic: _Optional[str] = ..., network: _Optional[str] = ...) -> None: ...

class NodeSpecList(_message.Message):
    __slots__ = ["specs"]
    SPECS_FIELD_NUMBER: _ClassVar[int]
    specs: _containers.RepeatedCompositeFieldContainer[NodeSpec]
    def __init__(self, specs: _Optional[_Iterable[_Union[NodeSpec, _Mapping]]] = ...) -> None: ...

class ProvisionNodeRequest(_message.Message):
    __slots__ = ["idempotency_key", "options", "project", "spec"]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    options: ProvisionOptions
    project: str
    spec: NodeSpec
    def __init__(self, project: _Optional[str] = ..., spec: _Optional[_Union[NodeSpec, _Mapping]] = ..., options: _Optional[_Union[ProvisionOptions, _Mapping]] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class ProvisionNodeResponse(_message.Message):
    __slots__ = ["job"]
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class ProvisionOptions(_message.Message):
    __slots__ = ["boot_timeout_seconds", "hostname", "power_cycle", "user_data", "wait_for_boot", "wait_for_userspace"]
    BOOT_TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    POWER_CYCLE_FIELD_NUMBER: _ClassVar[int]
    USER_DATA_FIELD_NUMBER: _ClassVar[int]
    WAIT_FOR_BOOT_FIELD_NUMBER: _ClassVar[int]
    WAIT_FOR_USERSPACE_FIELD_NUMBER: _ClassVar[int]
    boot_timeout_seconds: int
    hostname: str
    power_cycle: bool
    user_data: str
    wait_for_boot: bool
    wait_for_userspace: bool
    def __init__(self, power_cycle: bool = ..., wait_for_boot: bool = ..., boot_timeout_seconds: _Optional[int] = ..., hostname: _Optional[str] = ..., user_data: _Optional[str] = ..., wait_for_userspace: bool = ...) -> None: ...

class Provisioned(_message.Message):
    __slots__ = ["disk", "disks", "image", "job_id", "node", "project", "state", "target_iqn", "updated"]
    DISKS_FIELD_NUMBER: _ClassVar[int]
    DISK_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TARGET_IQN_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    disk: str
    disks: _containers.RepeatedScalarFieldContainer[str]
    image: str
    job_id: str
    node: str
    project: str
    state: NodeState
    target_iqn: str
    updated: _timestamp_pb2.Timestamp
    def __init__(self, project: _Optional[str] = ..., node: _Optional[str] = ..., disk: _Optional[str] = ..., image: _Optional[str] = ..., target_iqn: _Optional[str] = ..., state: _Optional[_Union[NodeState, str]] = ..., job_id: _Optional[str] = ..., updated: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., disks: _Optional[_Iterable[str]] = ...) -> None: ...

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
    nics: _containers.RepeatedCompositeFieldContainer[_haas_pb2.Nic]
    power: _haas_pb2.PowerSpec
    def __init__(self, name: _Optional[str] = ..., nics: _Optional[_Iterable[_Union[_haas_pb2.Nic, _Mapping]]] = ..., power: _Optional[_Union[_haas_pb2.PowerSpec, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class RegisterNodeResponse(_message.Message):
    __slots__ = ["node"]
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: _haas_pb2.Node
    def __init__(self, node: _Optional[_Union[_haas_pb2.Node, _Mapping]] = ...) -> None: ...

class ReprovisionNodeRequest(_message.Message):
    __slots__ = ["disk", "idempotency_key", "node", "options", "project"]
    DISK_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    disk: str
    idempotency_key: str
    node: str
    options: ProvisionOptions
    project: str
    def __init__(self, project: _Optional[str] = ..., node: _Optional[str] = ..., disk: _Optional[str] = ..., options: _Optional[_Union[ProvisionOptions, _Mapping]] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class ReprovisionNodeResponse(_message.Message):
    __slots__ = ["job"]
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class SetNodeBootDeviceRequest(_message.Message):
    __slots__ = ["device", "node", "project"]
    DEVICE_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    device: _haas_pb2.BootDevice
    node: str
    project: str
    def __init__(self, project: _Optional[str] = ..., node: _Optional[str] = ..., device: _Optional[_Union[_haas_pb2.BootDevice, str]] = ...) -> None: ...

class SetNodeBootDeviceResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class SetNodePowerRequest(_message.Message):
    __slots__ = ["action", "force", "node", "project"]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    action: PowerAction
    force: bool
    node: str
    project: str
    def __init__(self, project: _Optional[str] = ..., node: _Optional[str] = ..., action: _Optional[_Union[PowerAction, str]] = ..., force: bool = ...) -> None: ...

class SetNodePowerResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

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

class SnapshotNodeRequest(_message.Message):
    __slots__ = ["idempotency_key", "image", "node", "project"]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    image: str
    node: str
    project: str
    def __init__(self, project: _Optional[str] = ..., node: _Optional[str] = ..., image: _Optional[str] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class SnapshotNodeResponse(_message.Message):
    __slots__ = ["job"]
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class Step(_message.Message):
    __slots__ = ["attempts", "error", "finished", "name", "outputs", "started", "state"]
    class OutputsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    attempts: int
    error: str
    finished: _timestamp_pb2.Timestamp
    name: str
    outputs: _containers.ScalarMap[str, str]
    started: _timestamp_pb2.Timestamp
    state: StepState
    def __init__(self, name: _Optional[str] = ..., state: _Optional[_Union[StepState, str]] = ..., attempts: _Optional[int] = ..., error: _Optional[str] = ..., started: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., finished: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., outputs: _Optional[_Mapping[str, str]] = ...) -> None: ...

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
    nics: _containers.RepeatedCompositeFieldContainer[_haas_pb2.Nic]
    power: _haas_pb2.PowerSpec
    def __init__(self, name: _Optional[str] = ..., nics: _Optional[_Iterable[_Union[_haas_pb2.Nic, _Mapping]]] = ..., power: _Optional[_Union[_haas_pb2.PowerSpec, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class UpdateNodeResponse(_message.Message):
    __slots__ = ["node"]
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: _haas_pb2.Node
    def __init__(self, node: _Optional[_Union[_haas_pb2.Node, _Mapping]] = ...) -> None: ...

class WatchJobRequest(_message.Message):
    __slots__ = ["from_start", "id"]
    FROM_START_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    from_start: bool
    id: str
    def __init__(self, id: _Optional[str] = ..., from_start: bool = ...) -> None: ...

class WatchJobResponse(_message.Message):
    __slots__ = ["event"]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _events_pb2.JobEvent
    def __init__(self, event: _Optional[_Union[_events_pb2.JobEvent, _Mapping]] = ...) -> None: ...

class JobKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class JobState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class StepState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class NodeState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class PowerAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class DriftKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
