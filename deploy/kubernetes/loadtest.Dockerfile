# loadharness/loadtest:dev — the load generator for the shard and merge Jobs:
# a static binary in an empty image, like images/target. Build from the
# repository root:
#   CGO_ENABLED=0 go build -o deploy/kubernetes/rootfs/loadtest ./cmd/loadtest
#   docker build -f deploy/kubernetes/loadtest.Dockerfile -t loadharness/loadtest:dev deploy/kubernetes
FROM scratch
COPY rootfs/loadtest /loadtest
WORKDIR /results
ENTRYPOINT ["/loadtest"]
