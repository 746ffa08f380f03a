#!/usr/bin/env bash
# test_collector_paging_pg.sh: test_collector_paging.sh against PostgreSQL
# (a throwaway cluster, as test_collector_pg.sh starts one).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"

trap 'pg_stop; cleanup' EXIT
pg_start
pg_sql postgres "CREATE DATABASE uct_paging"
set +e
UCT_COLLECTOR_DB=$(pg_url uct_paging) bash "$(dirname "$0")/test_collector_paging.sh" >"$T_WORK/out" 2>&1
rc=$?
set -e
sed 's/^/# paging: /' "$T_WORK/out"
check "test_collector_paging.sh passes against PostgreSQL" test "$rc" -eq 0
finish
