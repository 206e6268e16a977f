#!/usr/bin/env bash
# Installs and starts what the scenario suite needs for PostgreSQL and MariaDB on a
# machine with Debian's package archive but no container registry:
#   - the Docker engine (docker.io) and debootstrap, when missing;
#   - headless Chromium and Japanese fonts (chromium, fonts-noto-cjk), which the
#     HTML report's test opens the report with, when missing;
#   - a running dockerd, when none answers;
#   - two local images built from Debian packages, only when missing:
#       kensho/postgres:15-2    (postgresql-15)
#       kensho/mariadb:10.11-2  (mariadb-server)
# Each image carries a start command (/usr/local/bin/kensho-start) that initialises
# the data directory, allows password logins from the host and starts the server in
# the foreground, so the testcontainers provider needs only the image name and tag.
# The administrator's password comes from the environment at start, as with the
# official images: POSTGRES_PASSWORD (user postgres) and MARIADB_ROOT_PASSWORD (user
# root); without it the container refuses to start. Kensho makes a new random one
# for every container it starts. No login is trusted without a password.
# The tag's suffix (-2) is the start script's version: a machine that kept an image
# built by an older script (which trusted every login) builds the new one, because
# an image is looked up by its full tag.
set -euo pipefail

log() { printf '[engines] %s\n' "$*" >&2; }

export DEBIAN_FRONTEND=noninteractive
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  # A daemon killed without cleaning up leaves its pid file behind.
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    rm -f /var/run/docker.pid
  fi
  log "starting dockerd"
  nohup dockerd >/var/log/kensho-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { log "dockerd did not start; see /var/log/kensho-dockerd.log"; tail -20 /var/log/kensho-dockerd.log >&2; exit 1; }
fi
log "docker engine is up"

# build_image IMAGE:TAG PACKAGE START_SCRIPT
build_image() {
  local image=$1 package=$2 script=$3
  if docker image inspect "$image" >/dev/null 2>&1; then
    log "$image present"
    return
  fi
  log "building $image from Debian package $package (about a minute)"
  local rootfs
  rootfs=$(mktemp -d /tmp/kensho-rootfs.XXXXXX)
  debootstrap --variant=minbase --include="$package" bookworm "$rootfs" >/tmp/kensho-debootstrap.log 2>&1 \
    || { log "debootstrap failed; see /tmp/kensho-debootstrap.log"; tail -20 /tmp/kensho-debootstrap.log >&2; exit 1; }
  install -m 0755 /dev/stdin "$rootfs/usr/local/bin/kensho-start" <<<"$script"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb
  tar -C "$rootfs" -c . | docker import --change 'CMD ["/usr/local/bin/kensho-start"]' - "$image" >/dev/null
  rm -rf "$rootfs"
  log "$image built"
}

postgres_start=$(cat <<'SCRIPT'
#!/bin/sh
set -e
if [ -z "${POSTGRES_PASSWORD:-}" ]; then
  echo "kensho-start: POSTGRES_PASSWORD is not set; this image accepts password logins only" >&2
  exit 1
fi
PGBIN=/usr/lib/postgresql/15/bin
DATA=/var/lib/postgresql/kensho
mkdir -p "$DATA" /var/run/postgresql
chown -R postgres:postgres "$DATA" /var/run/postgresql
PWFILE=$(mktemp)
printf '%s\n' "$POSTGRES_PASSWORD" > "$PWFILE"
chown postgres "$PWFILE"
su postgres -s /bin/sh -c "$PGBIN/initdb --auth-local=peer --auth-host=scram-sha-256 --pwfile=$PWFILE -U postgres -D $DATA" >/dev/null
rm -f "$PWFILE"
unset POSTGRES_PASSWORD
echo "host all all all scram-sha-256" >> "$DATA/pg_hba.conf"
exec su postgres -s /bin/sh -c "exec $PGBIN/postgres -D $DATA -c listen_addresses=* -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=500"
SCRIPT
)

mariadb_start=$(cat <<'SCRIPT'
#!/bin/sh
set -e
case "${MARIADB_ROOT_PASSWORD:-}" in
  "")
    echo "kensho-start: MARIADB_ROOT_PASSWORD is not set; this image accepts password logins only" >&2
    exit 1 ;;
  *[!A-Za-z0-9._-]*)
    echo "kensho-start: MARIADB_ROOT_PASSWORD may hold only the characters A-Z a-z 0-9 . _ -" >&2
    exit 1 ;;
esac
mkdir -p /run/mysqld && chown mysql /run/mysqld
mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
umask 077
cat > /run/mysqld/init.sql <<SQL
CREATE OR REPLACE USER root@'%' IDENTIFIED BY '$MARIADB_ROOT_PASSWORD';
GRANT ALL ON *.* TO root@'%' WITH GRANT OPTION;
SQL
chown mysql /run/mysqld/init.sql
unset MARIADB_ROOT_PASSWORD
exec mariadbd --user=mysql --datadir=/var/lib/mysql --bind-address=0.0.0.0 --skip-name-resolve \
  --init-file=/run/mysqld/init.sql --max-connections=500 --innodb-flush-log-at-trx-commit=0 \
  --innodb-lock-wait-timeout=5 --character-set-server=utf8mb4 --collation-server=utf8mb4_bin
SCRIPT
)

build_image kensho/postgres:15-2 postgresql-15 "$postgres_start"
build_image kensho/mariadb:10.11-2 mariadb-server "$mariadb_start"
