# loadharness/loadtest:dev — the load generator for the shard and collector
# Jobs and for shard containers on a Docker network: a static binary in an
# empty image, like images/target, run as an unprivileged user (65532) so
# that it fits the Pod Security "restricted" level.
#
# The build puts into its context (CTX), from the repository root:
#   CTX/rootfs/loadtest       CGO_ENABLED=0 go build -buildvcs=true -o CTX/rootfs/loadtest ./cmd/loadtest
#                             (-buildvcs=true so that `loadtest version` names the module
#                             version and VCS revision: it overrides a GOFLAGS=-buildvcs=false)
#   CTX/rootfs/etc/ssl/certs/ca-certificates.crt
#                             the host's /etc/ssl/certs/ca-certificates.crt, for https targets,
#                             collectors and Prometheus URLs (Go reads that path on Linux)
#   CTX/rootfs/tmp/           an empty directory, mode 1777
#   CTX/results/              an empty directory
# and builds with the classic builder, which needs no pull for scratch:
#   DOCKER_BUILDKIT=0 docker build -f deploy/kubernetes/loadtest.Dockerfile -t loadharness/loadtest:dev CTX
FROM scratch
# Modes come from the context: /tmp must be 1777, as a scratch image has no
# directories of its own.
COPY rootfs/ /
# The default place for runs when no volume is mounted there, writable by
# the image's user.
COPY --chown=65532:65532 results/ /results/
# A user with no passwd entry gets HOME=/, where it cannot write: the run
# ledger (records of live runs, so that the next run cleans up after a
# killed one) would fail every run ("mkdir /.local"). It goes to the temp
# dir instead, which a pod mounts as an emptyDir.
ENV TMPDIR=/tmp \
    LOADHARNESS_STATE_DIR=/tmp/loadharness-state
USER 65532:65532
WORKDIR /results
ENTRYPOINT ["/loadtest"]
