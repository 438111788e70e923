# Sourced by scripts/test: the PostgreSQL and RabbitMQ the integration, fault, security and e2e
# tests use. A server that is installed but stopped is started (the commands .ci/run always used)
# and waited for; one that is not installed is named in $CAREDESK_MISSING_SERVERS.
# A server given by CAREDESK_TEST_POSTGRES_URL / CAREDESK_TEST_RABBITMQ_URL is left alone.
# CAREDESK_POSTGRES_ETC (default /etc/postgresql), CAREDESK_SERVER_WAIT (seconds, default 60 for
# PostgreSQL, 120 for RabbitMQ), and scripts/test's CAREDESK_SKIP_INSTALL and CAREDESK_PYTEST exist
# for tests/unit/test_scripts.py, which fakes the servers on PATH.

CAREDESK_MISSING_SERVERS=""

wait_for() {  # wait_for NAME SECONDS COMMAND...
  local name=$1 seconds=$2; shift 2
  for _ in $(seq "$seconds"); do "$@" >/dev/null 2>&1 && { echo "$name is up"; return 0; }; sleep 1; done
  echo "$name did not answer in ${seconds}s" >&2; return 1
}

postgres_answers() { pg_isready -h 127.0.0.1 -p 5432; }
rabbitmq_answers() { rabbitmq-diagnostics -q check_port_connectivity; }

ensure_postgres() {
  [ -z "${CAREDESK_TEST_POSTGRES_URL:-}" ] || return 0
  local etc=${CAREDESK_POSTGRES_ETC:-/etc/postgresql}
  command -v pg_isready >/dev/null 2>&1 && postgres_answers >/dev/null 2>&1 && return 0
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! command -v pg_isready >/dev/null 2>&1 || [ ! -d "$etc" ]; then
    CAREDESK_MISSING_SERVERS="$CAREDESK_MISSING_SERVERS PostgreSQL"; return 0
  fi
  echo "Starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls "$etc")" main start || true
  wait_for PostgreSQL "${CAREDESK_SERVER_WAIT:-60}" postgres_answers
}

ensure_rabbitmq() {
  [ -z "${CAREDESK_TEST_RABBITMQ_URL:-}" ] || return 0
  command -v rabbitmq-diagnostics >/dev/null 2>&1 && rabbitmq_answers >/dev/null 2>&1 && return 0
  if ! command -v rabbitmq-server >/dev/null 2>&1 || ! command -v rabbitmq-diagnostics >/dev/null 2>&1; then
    CAREDESK_MISSING_SERVERS="$CAREDESK_MISSING_SERVERS RabbitMQ"; return 0
  fi
  echo "Starting RabbitMQ"
  rabbitmq-server -detached || true
  wait_for RabbitMQ "${CAREDESK_SERVER_WAIT:-120}" rabbitmq_answers
}

in_ci() { case "${CI:-}" in true|TRUE|True|1|yes) return 0 ;; *) return 1 ;; esac; }

missing_servers_line() {  # the one line a run without some server ends with
  local names
  names=$(echo $CAREDESK_MISSING_SERVERS | sed 's/ / and /')
  echo "Skipped the tests that need $names (tests/integration, tests/faults, tests/security on PostgreSQL, tests/e2e on the production split): install them (Debian: sudo apt-get install -y postgresql rabbitmq-server) and run bash scripts/test again, or point CAREDESK_TEST_POSTGRES_URL / CAREDESK_TEST_RABBITMQ_URL at running servers."
}
