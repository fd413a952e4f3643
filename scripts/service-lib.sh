# The parts the throwaway test services (pg.sh, s3.sh, influxdb1.sh) share; sourced, not run.
# The sourcing script sets `service` (its name, for messages) and defines `start` and `stop`,
# which find their directory in DIR; `dispatch "$@"` runs the one asked for.

die() {
    echo "$service: $*"
    exit 1
}

log() {
    echo "$service: $*"
}

usage() {
    echo "usage: $0 start DIR | stop DIR"
    exit 2
}

is_root() {
    [[ $(id -u) -eq 0 ]]
}

# Whether process $1 runs (a zombie does not).
alive() {
    local stat
    stat=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $stat != Z* ]]
}

# Installs Debian package $1 with apt-get (through sudo when not root); $2 names what is missing.
apt_install() {
    local package=$1 what=$2
    log "$what not found; installing Debian's $package package with apt-get"
    command -v apt-get >/dev/null || die "$what is not installed and apt-get is not available; install it yourself"
    local sudo=()
    if ! is_root; then
        command -v sudo >/dev/null || die "$what is not installed; run as root or install sudo so that apt-get can install it"
        sudo=(sudo)
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update 3>&-
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$package" 3>&-
}

# Prints N distinct ports that are free on 127.0.0.1 right now, one a line.
free_ports() {
    local n=$1
    if command -v python3 >/dev/null; then
        python3 - "$n" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
for s in socks:
    s.close()
PY
        return
    fi
    # No python3: try random high ports until enough refuse connections.
    local ports=() port attempt
    for attempt in $(seq 1 200); do
        port=$((20000 + RANDOM % 40000))
        [[ " ${ports[*]} " == *" $port "* ]] && continue
        if ! (exec 4<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            ports+=("$port")
            ((${#ports[@]} == n)) && break
        fi
    done
    ((${#ports[@]} == n)) || die "found no $n free ports on 127.0.0.1"
    printf '%s\n' "${ports[@]}"
}

# `start DIR` (made when missing) or `stop DIR` (nothing to do when DIR does not exist).
dispatch() {
    [[ $# -eq 2 ]] || usage
    case $1 in
    start)
        mkdir -p "$2"
        DIR=$(cd "$2" && pwd -P)
        start
        ;;
    stop)
        if [[ ! -d $2 ]]; then
            log "$2 does not exist; nothing to stop"
            exit 0
        fi
        DIR=$(cd "$2" && pwd -P)
        stop
        ;;
    *) usage ;;
    esac
}
