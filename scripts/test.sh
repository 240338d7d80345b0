#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what is missing, starts the test databases, builds, tests.
cd "$(dirname "$0")/.."
source scripts/lib.sh

apt_install postgresql-client openssl libpostgresql-jdbc-java python3-psycopg2 \
  libmariadb-java python3-pymysql freetds-bin chromium
ensure_postgres
ensure_mariadb
install_and_build
log "typechecking"
pnpm -s typecheck
log "running the tests"
pnpm -s test "$@"
