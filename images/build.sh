#!/usr/bin/env bash
# Builds the images the Docker provider and docker-compose.yml run, without a
# registry: nothing is pulled.
#
#   loadharness/target:dev  cmd/target, static (CGO_ENABLED=0), FROM scratch
#   loadharness/redis:dev   the host's Debian redis-server with its shared
#                           libraries, imported from a tar of a tiny root fs
#   loadharness/prometheus:dev
#                           the host's Debian prometheus, packed the same way
#                           (a stack with prometheus: true runs it)
#   loadharness/loadtest:dev
#                           cmd/loadtest, static, unprivileged, with CA
#                           certificates: shards on a Docker network or in a
#                           cluster (deploy/kubernetes/loadtest.Dockerfile)
#   loadharness/haproxy:dev the host's Debian haproxy, packed like redis
#                           (a docker stack with balancer: haproxy runs it)
#
# Each image carries a label loadharness.input=<sha256 of what went in>; when
# the label already matches, the image is left alone, so a second run with
# nothing changed takes about as long as a cached `go build`.
#
# Usage: bash images/build.sh [target|redis|prometheus|loadtest|haproxy ...]   (default: all)
# Env:   TARGET_IMAGE, REDIS_IMAGE, PROMETHEUS_IMAGE, LOADTEST_IMAGE, HAPROXY_IMAGE override the tags;
#        FORCE=1 rebuilds.
set -euo pipefail

script=$(readlink -f "$0")
cd "$(dirname "$script")/.."
TARGET_IMAGE=${TARGET_IMAGE:-loadharness/target:dev}
REDIS_IMAGE=${REDIS_IMAGE:-loadharness/redis:dev}
PROMETHEUS_IMAGE=${PROMETHEUS_IMAGE:-loadharness/prometheus:dev}
LOADTEST_IMAGE=${LOADTEST_IMAGE:-loadharness/loadtest:dev}
HAPROXY_IMAGE=${HAPROXY_IMAGE:-loadharness/haproxy:dev}
FORCE=${FORCE:-0}
# The engine here has no buildx; the classic builder handles FROM scratch
# without a pull. Saying so explicitly keeps newer CLIs from refusing.
export DOCKER_BUILDKIT=0

log() { printf 'images: %s\n' "$*" >&2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# current_input TAG prints the loadharness.input label of TAG, or nothing.
current_input() {
  docker image inspect -f '{{ index .Config.Labels "loadharness.input" }}' "$1" 2>/dev/null || true
}

# up_to_date TAG SUM says whether TAG exists and was built from SUM.
up_to_date() {
  [ "$FORCE" != 1 ] && [ "$(current_input "$1")" = "$2" ]
}

image_id() {
  docker image inspect -f '{{ .Id }}' "$1" 2>/dev/null || true
}

# drop_replaced removes the image a rebuild took the tag from, so rebuilds
# leave no <none> images behind; one still used by a container stays.
drop_replaced() {
  local old=$1 tag=$2
  if [ -n "$old" ] && [ "$old" != "$(image_id "$tag")" ]; then
    docker image rm "$old" >/dev/null 2>&1 || true
  fi
}

build_target() {
  local ctx="$work/target"
  mkdir -p "$ctx/rootfs/data" "$ctx/rootfs/tmp"
  chmod 0755 "$ctx/rootfs/data"
  chmod 1777 "$ctx/rootfs/tmp"
  # -buildvcs=false keeps git state (a commit, a dirty tree) out of the
  # binary, so its hash changes only when the code does. No -trimpath: it
  # would miss the build cache the other CGO_ENABLED=0 builds fill.
  CGO_ENABLED=0 go build -buildvcs=false -o "$ctx/rootfs/target" ./cmd/target
  cp images/target/Dockerfile "$ctx/Dockerfile"
  local sum
  sum=$(cat "$ctx/rootfs/target" "$ctx/Dockerfile" | sha256sum | cut -c1-64)
  if up_to_date "$TARGET_IMAGE" "$sum"; then
    log "$TARGET_IMAGE is up to date"
    return
  fi
  log "building $TARGET_IMAGE"
  local old
  old=$(image_id "$TARGET_IMAGE")
  # The classic builder prints a deprecation notice on every build: show
  # its output only when the build fails.
  local out
  if ! out=$(docker build -q --label "loadharness.input=$sum" -t "$TARGET_IMAGE" "$ctx" 2>&1); then
    printf '%s\n' "$out" >&2
    log "docker build of $TARGET_IMAGE failed"
    exit 1
  fi
  drop_replaced "$old" "$TARGET_IMAGE"
  docker run --rm "$TARGET_IMAGE" version >/dev/null || {
    log "$TARGET_IMAGE: the binary does not run in the image"; exit 1; }
  log "built $TARGET_IMAGE"
}

# debian_bin NAME PACKAGE finds the program NAME, installing Debian's
# PACKAGE when it is absent, and prints its real path.
debian_bin() {
  local name=$1 package=$2
  if ! command -v "$name" >/dev/null 2>&1; then
    log "$name is not installed: apt-get install -y $package"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >&2 \
      || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >&2; }
  fi
  readlink -f "$(command -v "$name")"
}

# shared_libs BIN prints the shared libraries of BIN as ldd resolves them
# ("name => /path (addr)") plus the loader (a bare "/path (addr)");
# linux-vdso has no file.
shared_libs() {
  ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u
}

redis_bin() { debian_bin redis-server redis-server; }

# pack_debian_image TAG BIN DEST PREPARE VERSION-ARG CHANGE... packs
# Debian's program BIN, as DEST, with every shared library ldd lists and a
# /tmp (1777) into a tiny root filesystem; PREPARE ROOT adds what the
# program needs at run time; the root is imported as TAG with each CHANGE
# (a Dockerfile line) and the label loadharness.input, the hash of what went
# in, so an unchanged input is left alone. The program must then print its
# version in the image when given VERSION-ARG.
pack_debian_image() {
  local tag=$1 bin=$2 dest=$3 prepare=$4 version_arg=$5
  shift 5
  local root sum old version
  mapfile -t libs < <(shared_libs "$bin")
  [ ${#libs[@]} -gt 0 ] || { log "ldd found no libraries for $bin"; exit 1; }
  sum=$( { cat "$bin"; for l in "${libs[@]}"; do printf '%s\n' "$l"; cat "$l"; done; cat "$script"; } | sha256sum | cut -c1-64)
  if up_to_date "$tag" "$sum"; then
    log "$tag is up to date"
    return
  fi
  log "building $tag from $bin"
  old=$(image_id "$tag")
  root=$(mktemp -d "$work/root.XXXXXX")
  chmod 0755 "$root"
  mkdir -p "$root$(dirname "$dest")" "$root/tmp"
  chmod 1777 "$root/tmp"
  cp -L "$bin" "$root$dest"
  for l in "${libs[@]}"; do
    mkdir -p "$root$(dirname "$l")"
    cp -L "$l" "$root$l"
  done
  "$prepare" "$root"
  local changes=()
  for c in "$@"; do changes+=(--change "$c"); done
  tar --numeric-owner -C "$root" -c . | docker import "${changes[@]}" \
    --change "LABEL loadharness.input=$sum" - "$tag" >/dev/null
  drop_replaced "$old" "$tag"
  version=$(docker run --rm "$tag" "$version_arg" 2>&1 | head -n 1) || {
    log "$tag: $dest does not start in the image"; exit 1; }
  log "built $tag ($version)"
}

# Redis picks its mode from argv[0] (the Debian file is redis-check-rdb with
# a link), so the copy must be named redis-server.
build_redis() {
  pack_debian_image "$REDIS_IMAGE" "$(redis_bin)" /usr/bin/redis-server redis_root --version \
    'ENTRYPOINT ["/usr/bin/redis-server"]' 'WORKDIR /data' 'EXPOSE 6379'
}
redis_root() {
  mkdir -p "$1/data"
  chmod 0777 "$1/data"
}

# build_prometheus packs Debian's prometheus. The root fs also has the
# directories the docker provider copies its configuration and targets
# into, the storage directory, and an nsswitch.conf so that the instances'
# network aliases resolve through the engine's DNS whichever resolver the
# binary uses.
build_prometheus() {
  pack_debian_image "$PROMETHEUS_IMAGE" "$(debian_bin prometheus prometheus)" /usr/bin/prometheus prometheus_root --version \
    'ENTRYPOINT ["/usr/bin/prometheus"]' 'WORKDIR /prometheus' 'EXPOSE 9090'
}
prometheus_root() {
  mkdir -p "$1/prometheus" "$1/etc/prometheus/targets"
  chmod 0777 "$1/prometheus"
  printf 'hosts: files dns\n' >"$1/etc/nsswitch.conf"
}

# build_loadtest builds the load generator's image for shards on a Docker
# network or in a cluster (deploy/kubernetes/loadtest.Dockerfile): static,
# unprivileged, with CA certificates. -buildvcs=true (over this machine's
# GOFLAGS) stamps the module version and VCS revision that `loadtest
# version` prints; so the image is rebuilt for every new commit.
build_loadtest() {
  local ctx="$work/loadtest"
  mkdir -p "$ctx/rootfs/tmp" "$ctx/rootfs/etc/ssl/certs" "$ctx/results"
  chmod 1777 "$ctx/rootfs/tmp"
  local certs=/etc/ssl/certs/ca-certificates.crt
  [ -f "$certs" ] || { log "no $certs (apt-get install ca-certificates)"; exit 1; }
  cp -L "$certs" "$ctx/rootfs/etc/ssl/certs/ca-certificates.crt"
  CGO_ENABLED=0 go build -buildvcs=true -o "$ctx/rootfs/loadtest" ./cmd/loadtest
  cp deploy/kubernetes/loadtest.Dockerfile "$ctx/Dockerfile"
  local sum
  sum=$(cat "$ctx/rootfs/loadtest" "$ctx/rootfs/etc/ssl/certs/ca-certificates.crt" "$ctx/Dockerfile" | sha256sum | cut -c1-64)
  if up_to_date "$LOADTEST_IMAGE" "$sum"; then
    log "$LOADTEST_IMAGE is up to date"
    return
  fi
  log "building $LOADTEST_IMAGE"
  local old out
  old=$(image_id "$LOADTEST_IMAGE")
  if ! out=$(docker build -q --label "loadharness.input=$sum" -t "$LOADTEST_IMAGE" "$ctx" 2>&1); then
    printf '%s\n' "$out" >&2
    log "docker build of $LOADTEST_IMAGE failed"
    exit 1
  fi
  drop_replaced "$old" "$LOADTEST_IMAGE"
  docker run --rm "$LOADTEST_IMAGE" version >/dev/null || {
    log "$LOADTEST_IMAGE: the binary does not run in the image"; exit 1; }
  log "built $LOADTEST_IMAGE ($(docker run --rm "$LOADTEST_IMAGE" version))"
}

# build_haproxy packs Debian's haproxy (linked to a dozen libraries: ssl,
# lua, pcre2, systemd...) as build_redis packs redis-server. The
# configuration the docker provider writes needs no chroot, pid file, user
# or socket directory: it runs in the foreground (-db), logs to stderr and
# serves its runtime API on TCP. /etc/haproxy is where the provider copies
# haproxy.cfg, which the default command reads; nsswitch.conf is there in
# case a configuration names a host.
build_haproxy() {
  pack_debian_image "$HAPROXY_IMAGE" "$(debian_bin haproxy haproxy)" /usr/sbin/haproxy haproxy_root -v \
    'ENTRYPOINT ["/usr/sbin/haproxy"]' 'CMD ["-db", "-f", "/etc/haproxy/haproxy.cfg"]' 'EXPOSE 8080'
}
haproxy_root() {
  mkdir -p "$1/etc/haproxy"
  printf 'hosts: files dns\n' >"$1/etc/nsswitch.conf"
}

command -v docker >/dev/null 2>&1 || { log "docker is not installed"; exit 1; }
docker version >/dev/null 2>&1 || { log "no Docker engine answers (docker version failed)"; exit 1; }

what=("$@")
[ ${#what[@]} -gt 0 ] || what=(target redis prometheus loadtest haproxy)
for w in "${what[@]}"; do
  case "$w" in
    target) build_target ;;
    redis) build_redis ;;
    prometheus) build_prometheus ;;
    loadtest) build_loadtest ;;
    haproxy) build_haproxy ;;
    *) log "unknown image '$w' (want target, redis, prometheus, loadtest or haproxy)"; exit 2 ;;
  esac
done
