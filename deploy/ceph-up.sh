#!/usr/bin/env bash
# A single-node Ceph (one mon, one OSD, optionally one mgr) on loopback, for tests, benchmarks and the embedded
# stack. No systemd, no cephadm: every file (conf, keyrings, data, logs, sockets, PIDs) lives under DIR, and
# deploy/ceph-down.sh DIR stops exactly the daemons recorded there.
#
#   deploy/ceph-up.sh DIR
#   env: CEPH_PORT_BASE (default 26700: mon v2 = base, mon v1 = base+1, daemons bind base+10..base+99;
#        far from Ceph's 3300/6789/6800-7300 so a real cluster on this host is never touched),
#        CEPH_STORE=memstore|bluestore (memstore: RAM, fastest; bluestore: a sparse file under DIR),
#        CEPH_MEMSTORE_BYTES (default 4 GiB), CEPH_WITH_MGR=0|1 (default 0: RBD needs no mgr; health does),
#        CEPH_POOL (default rbd), CEPH_ADDR (default 127.0.0.1: the address every daemon binds and clients use;
#        another of this host's addresses lets clients in network namespaces reach the cluster).
# On success prints DIR/ceph.conf; the admin keyring is DIR/ceph.client.admin.keyring (user "admin"). BMI's own user
# "bmi" has only what a site gives it (README, "Ceph at a site": mon 'profile rbd', osd 'profile rbd pool=POOL');
# its keyring is DIR/ceph.client.bmi.keyring, named in ceph.conf, so librbd and tgt find it from the conf alone.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 DIR" >&2; exit 64; }
D=$(realpath -m "$1")                 # daemons need absolute paths
BASE=${CEPH_PORT_BASE:-26700}
STORE=${CEPH_STORE:-memstore}
WITH_MGR=${CEPH_WITH_MGR:-0}
POOL=${CEPH_POOL:-rbd}
MEM_BYTES=${CEPH_MEMSTORE_BYTES:-4294967296}
ADDR=${CEPH_ADDR:-127.0.0.1}
[[ $ADDR =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || { echo "CEPH_ADDR=$ADDR is not an IPv4 address" >&2; exit 64; }
CONF=$D/ceph.conf
MON_ADDR="[v2:$ADDR:$BASE,v1:$ADDR:$((BASE + 1))]"

if [ -e "$D/run/mon.a.pid.fg" ]; then echo "$D holds a cluster already; run deploy/ceph-down.sh $D first" >&2; exit 1; fi
mkdir -p "$D"/{log,run,crash} "$D"/data/mon/a "$D"/data/osd/0 "$D"/data/mgr/x
# Whatever fails below, the daemons started so far are stopped: a failed start leaves no process behind.
trap 'rc=$?; [ $rc = 0 ] || { echo "ceph-up failed (rc $rc); logs in $D/log" >&2; "$(dirname "$0")/ceph-down.sh" "$D" >/dev/null 2>&1 || true; }' EXIT

FSID=$(uuidgen)
cat > "$CONF" <<EOF
[global]
fsid = $FSID
mon_host = $MON_ADDR
public_addr = $ADDR
cluster_addr = $ADDR
ms_bind_port_min = $((BASE + 10))
ms_bind_port_max = $((BASE + 99))
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
auth_allow_insecure_global_id_reclaim = false
run_dir = $D/run
crash_dir = $D/crash
admin_socket = $D/run/\$cluster-\$name.\$pid.asok
log_file = $D/log/\$name.log
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_warn_on_pool_no_redundancy = false
mon_max_pg_per_osd = 1000
mon_osd_full_ratio = .99
mon_osd_nearfull_ratio = .99
mon_osd_backfillfull_ratio = .99
osd_failsafe_full_ratio = .99
# Clones without protected snapshots (clone format 2) and object-map/fast-diff on every new image.
rbd_default_clone_format = 2
rbd_default_features = layering,exclusive-lock,object-map,fast-diff,deep-flatten
# A crashed client (kill -9) keeps its images busy until its watch times out: 5 s here instead of 30 s.
osd_client_watch_timeout = 5

[mon]
mon_data = $D/data/mon/\$id
mon_cluster_log_file = $D/log/cluster.log
mon_data_avail_warn = 2
mon_data_avail_crit = 1
# Commit map changes (pool create, snapshot ids) in about 20 ms instead of 1 s: every RBD snapshot waits on one.
paxos_propose_interval = 0.02
paxos_min_wait = 0.01
mgr_initial_modules = iostat

[mgr]
mgr_data = $D/data/mgr/\$id
keyring = $D/data/mgr/\$id/keyring
mgr/telemetry/nag = false

[osd]
osd_data = $D/data/osd/\$id
keyring = $D/data/osd/\$id/keyring
osd_objectstore = $STORE
osd_check_max_object_name_len_on_startup = false
osd_memory_target = 1073741824
memstore_device_bytes = $MEM_BYTES
# bluestore on a sparse file beside (not inside) osd_data: bluestore symlinks osd_data/block to it.
bluestore_block_path = $D/data/osd/\$id.block
bluestore_block_create = true
bluestore_block_size = 21474836480
bluestore_block_db_create = false
bluestore_block_wal_create = false
bluestore_fsck_on_mount = false

[client]
keyring = $D/ceph.client.admin.keyring
# Clients (librbd in image-service, tgt) must not write logs or sockets outside DIR either.
log_to_file = false
admin_socket =

[client.bmi]
keyring = $D/ceph.client.bmi.keyring
EOF

ceph_() { ceph -c "$CONF" --connect-timeout 30 "$@"; }

ceph-authtool --create-keyring "$D/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool --create-keyring "$D/ceph.client.admin.keyring" --gen-key -n client.admin \
  --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *' >/dev/null
ceph-authtool "$D/mon.keyring" --import-keyring "$D/ceph.client.admin.keyring" >/dev/null
monmaptool --create --fsid "$FSID" --addv a "$MON_ADDR" "$D/monmap" >/dev/null
ceph-mon -c "$CONF" --mkfs -i a --monmap "$D/monmap" --keyring "$D/mon.keyring"
# Foreground daemons in the background: the PID recorded is the daemon's own, so ceph-down.sh can signal it.
ceph-mon -c "$CONF" -i a -f >>"$D/log/mon.a.stdout" 2>&1 &
echo $! > "$D/run/mon.a.pid.fg"
ceph_ mon stat >/dev/null

OSD_UUID=$(uuidgen)
OSD_SECRET=$(ceph-authtool --gen-print-key)
printf '{"cephx_secret": "%s"}' "$OSD_SECRET" > "$D/data/osd/0/new.json"
OSD_ID=$(ceph_ osd new "$OSD_UUID" -i "$D/data/osd/0/new.json")
rm "$D/data/osd/0/new.json"
printf '[osd.%s]\n\tkey = %s\n' "$OSD_ID" "$OSD_SECRET" > "$D/data/osd/0/keyring"
ceph-osd -c "$CONF" -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" >"$D/log/osd-mkfs.log" 2>&1
ceph-osd -c "$CONF" -i "$OSD_ID" -f >>"$D/log/osd.0.stdout" 2>&1 &
echo $! > "$D/run/osd.0.pid.fg"

if [ "$WITH_MGR" = 1 ]; then
  ceph_ auth get-or-create mgr.x mon 'allow profile mgr' osd 'allow *' mds 'allow *' -o "$D/data/mgr/x/keyring"
  ceph-mgr -c "$CONF" -i x -f >>"$D/log/mgr.x.stdout" 2>&1 &
  echo $! > "$D/run/mgr.x.pid.fg"
fi

# Clone format 2 needs mimic or later clients.
ceph_ osd set-require-min-compat-client mimic >/dev/null 2>&1
for _ in $(seq 1 300); do
  ceph_ osd stat -f json | grep -q '"num_up_osds":1' && break
  kill -0 "$(cat "$D/run/osd.0.pid.fg")" 2>/dev/null || { echo "osd exited; see $D/log" >&2; exit 1; }
  sleep 0.1
done
ceph_ osd pool create "$POOL" 8 8 replicated >/dev/null 2>&1
ceph_ osd pool application enable "$POOL" rbd >/dev/null 2>&1
# A pool is usable once a write lands; rbd pool init writes the pool's rbd_info object.
rbd -c "$CONF" pool init "$POOL"
ceph_ auth get-or-create client.bmi mon 'profile rbd' osd "profile rbd pool=$POOL" -o "$D/ceph.client.bmi.keyring"
echo "$CONF"
