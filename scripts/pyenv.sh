#!/usr/bin/env bash
# A Python virtualenv for tests that drive Strata from Python: pyarrow (Arrow, Parquet, Flight),
# influxdb3-python (the official InfluxDB 3 client, module influxdb_client_3) and the ADBC
# Flight SQL driver (adbc-driver-flightsql with adbc-driver-manager's DB-API) and the official
# InfluxDB 1.x client (influxdb).
#
#   scripts/pyenv.sh          create the virtualenv when missing; print its python
#
# It prints exactly one line on stdout, the path of the virtualenv's python executable;
# everything else goes to stderr. The virtualenv lives in ~/.cache/strata-pyenv and is
# installed once: later runs only check that the packages import. A virtualenv that no longer
# runs (its base python was removed or upgraded) is made anew.
#
# Example:
#   export STRATA_TEST_PYTHON="$(scripts/pyenv.sh)"
#   "$STRATA_TEST_PYTHON" -c 'import pyarrow.parquet, influxdb_client_3'
set -euo pipefail

# Only the path goes to stdout (fd 3); every other line, ours or a tool's, to stderr.
exec 3>&1 1>&2

readonly VENV=$HOME/.cache/strata-pyenv
readonly PY=$VENV/bin/python
readonly PACKAGES=(pyarrow influxdb3-python adbc-driver-manager adbc-driver-flightsql influxdb)
readonly CHECK='import pyarrow, pyarrow.parquet, influxdb_client_3, adbc_driver_flightsql.dbapi, influxdb'

die() {
    echo "pyenv.sh: $*"
    exit 1
}

log() {
    echo "pyenv.sh: $*"
}

[[ $# -eq 0 ]] || {
    echo "usage: $0"
    exit 2
}

installed() {
    [[ -x $PY ]] && "$PY" -c "$CHECK" 2>/dev/null
}

if ! installed; then
    command -v python3 >/dev/null || die "python3 is needed to create $VENV"
    mkdir -p "$(dirname "$VENV")"
    # Several runs at once wait for each other rather than install into one directory together.
    if command -v flock >/dev/null; then
        exec 4>"$VENV.lock"
        flock 4
    fi
    if ! installed; then
        if ! "$PY" -c '' 2>/dev/null; then
            rm -rf "$VENV"
            log "creating the virtualenv $VENV"
            python3 -m venv "$VENV" 4>&- ||
                die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
        fi
        log "installing ${PACKAGES[*]} into $VENV"
        "$PY" -m pip install --quiet --disable-pip-version-check "${PACKAGES[@]}" 4>&- ||
            die "pip install ${PACKAGES[*]} failed"
        installed || die "installed ${PACKAGES[*]} but '$CHECK' still fails"
        log "installed: $("$PY" -m pip list --disable-pip-version-check --format=freeze 2>/dev/null |
            grep -iE '^(pyarrow|influxdb3-python|adbc-driver-manager|adbc-driver-flightsql)==' | tr '\n' ' ')"
    fi
    exec 4>&-
fi

echo "$PY" >&3
