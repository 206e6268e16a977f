#!/usr/bin/env bash
# nextest setup script of the scenario target (.config/nextest.toml): runs once
# before the tests of `cargo nextest run`, whose tests each run in a process of
# their own. So that those processes do not each start a container and migrate a
# template, this script
#   - starts one PostgreSQL and one MariaDB container for the whole nextest run
#     (the images Kensho's own runs use: KENSHO_POSTGRES_IMAGE/_TAG,
#     KENSHO_MARIADB_IMAGE/_TAG, the official images by default), each with a new
#     random password, published on 127.0.0.1 only, data in memory;
#   - hands their URLs to every test through $NEXTEST_ENV (KENSHO_POSTGRES_URL,
#     KENSHO_MARIADB_URL), with KENSHO_SHARED_TEMPLATES=1: the first test on a
#     server migrates a template named by the migrations' checksum, the others
#     find it again (src/db/server.rs, shared_template_name);
#   - builds the workspace's programs once (the service programs scenarios run)
#     and says so with KENSHO_PROGRAMS_BUILT=<this tree>, so no test of this tree
#     runs the build again (the semantic mutants' copy builds its own).
# An engine whose URL is given already, or which KENSHO_ENGINES leaves out, is
# left alone. Without Docker or the image nothing is started: the tests then try
# their own containers, and a missing engine fails in CI (CI=true) and is NOT RUN
# elsewhere, as in `cargo test`.
#
# The containers carry Kensho's labels with the process id of a keeper started
# here, which lives as long as nextest and then removes them: a Kensho run's
# sweep of ended runs' containers leaves them alone meanwhile, and nothing stays
# after the nextest run (a keeper killed by force leaves them to the next
# Kensho run's sweep, whose owner check then finds the keeper gone).
set -euo pipefail

log() { printf '[nextest-servers] %s\n' "$*" >&2; }
env_file=${NEXTEST_ENV:?this script is run by cargo nextest as a setup script}
nextest_pid=$PPID

# How long a container may take to say it accepts connections (as the runner's
# own container start-up limit).
ready_within=120

root=$(cd "$(dirname "$0")/.." && pwd)
printf 'KENSHO_PROGRAMS_BUILT=%s\n' "$root" >>"$env_file"
log "building the workspace's programs once"
(cd "$root" && cargo build --quiet --workspace --bins)

wanted() {
  local engines=${KENSHO_ENGINES:-all}
  [[ $engines == all || ,$engines, == *,$1,* ]]
}

if ! docker info >/dev/null 2>&1; then
  log "no Docker engine: each test starts its own servers (or finds none)"
  exit 0
fi

# The keeper: waits for nextest to end, then removes the containers labelled
# with its own process id. Its own session, no terminal, no pipes of nextest's.
setsid bash -c '
  while kill -0 "$1" 2>/dev/null; do sleep 1; done
  ids=$(docker ps -aq --filter "label=dev.kensho.owner-pid=$$")
  [ -z "$ids" ] || docker rm -f -v $ids >/dev/null
' keeper "$nextest_pid" </dev/null >/dev/null 2>&1 &
keeper=$!

# start ENGINE IMAGE:TAG PORT READY_LINE PASSWORD_VARIABLE DATA_DIR... -> id
start() {
  local engine=$1 image=$2 port=$3 password_variable=$5
  shift 5
  local tmpfs=()
  for dir in "$@"; do tmpfs+=(--tmpfs "$dir:rw,size=4g"); done
  docker run -d --label dev.kensho.managed=true --label "dev.kensho.owner-pid=$keeper" \
    -e "$password_variable=$password" -p "127.0.0.1::$port" "${tmpfs[@]}" "$image"
}

# serve ENGINE PREFIX IMAGE TAG PORT READY_LINE PASSWORD_VARIABLE SCHEME USER DATA_DIR...
serve() {
  local engine=$1 prefix=$2 image=$3 tag=$4 port=$5 ready=$6 password_variable=$7 scheme=$8 user=$9
  shift 9
  local url_variable=${prefix}_URL
  if [ -n "${!url_variable:-}" ] || ! wanted "$engine"; then
    log "$engine: left alone (given by $url_variable, or not in KENSHO_ENGINES)"
    return
  fi
  if ! docker image inspect "$image:$tag" >/dev/null 2>&1; then
    log "$engine: no local image $image:$tag; each test starts its own container"
    return
  fi
  password=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
  local id
  id=$(start "$engine" "$image:$tag" "$port" "$ready" "$password_variable" "$@")
  for _ in $(seq 1 "$ready_within"); do
    docker logs "$id" 2>&1 | grep -q "$ready" && break
    sleep 1
  done
  if ! docker logs "$id" 2>&1 | grep -q "$ready"; then
    log "$engine: the container did not get ready within $ready_within s"
    docker logs "$id" 2>&1 | tail -20 >&2
    exit 1
  fi
  local published
  published=$(docker port "$id" "$port/tcp" | head -1)
  printf '%s=%s://%s:%s@%s\n' "$url_variable" "$scheme" "$user" "$password" "$published" >>"$env_file"
  log "$engine: container ${id:0:12} ($image:$tag) on $published, removed when nextest ends"
}

serve postgres KENSHO_POSTGRES "${KENSHO_POSTGRES_IMAGE:-postgres}" "${KENSHO_POSTGRES_TAG:-16}" \
  5432 "database system is ready to accept connections" POSTGRES_PASSWORD postgres postgres \
  /var/lib/postgresql /var/lib/postgresql/data
serve mariadb KENSHO_MARIADB "${KENSHO_MARIADB_IMAGE:-mariadb}" "${KENSHO_MARIADB_TAG:-11.4}" \
  3306 "port: 3306" MARIADB_ROOT_PASSWORD mysql root /var/lib/mysql
printf 'KENSHO_SHARED_TEMPLATES=1\n' >>"$env_file"
