#!/usr/bin/env bash
# A local PostgreSQL for the tests and the benchmarks: start the cluster (Debian's pg_ctlcluster), wait
# until it answers, and give the OS user running this a superuser role of the same name, so that
# `postgres:///NAME` connects over the local socket; with NAME, also create that database. Run as root
# (it acts as the postgres OS user). What is already there is left as it is.
#     tools/postgres_local.sh [NAME]
# Used by .ci/run and, as root, by the benchmarks in bench/ when they find no server or no role.
set -euo pipefail
cd /  # the postgres OS user may not enter the caller's directory

read -r version cluster _ < <(pg_lsclusters --no-header | head -n 1)
pg_ctlcluster "$version" "$cluster" start 2>/dev/null || true
for _ in $(seq 1 30); do pg_isready -q && break; sleep 1; done

user="$(id -un)"
su postgres -c "psql -qtc \"SELECT 1 FROM pg_roles WHERE rolname='$user'\"" | grep -q 1 \
  || su postgres -c "createuser -s $user"
if [ -n "${1:-}" ]; then
  psql -d postgres -qtc "SELECT 1 FROM pg_database WHERE datname='$1'" | grep -q 1 || createdb "$1"
fi
