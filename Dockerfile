# IPC Playground in a container: one static binary (the server and its
# worker processes are the same executable) on a minimal base, run as an
# ordinary user.
#
#   docker build -t ipc-playground .
#   docker run --rm -p 8080:8080 -v ipc-playground-data:/data ipc-playground
#
# then open http://127.0.0.1:8080.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ipc-playground ./cmd/server
# The recordings' directory, owned by the image's user (65532), so that a
# volume mounted there starts with the right owner.
RUN mkdir -p /out/data && chown 65532:65532 /out/data && chmod 700 /out/data

# The server runs as PID 1 of the container: it collects every orphaned
# process itself, and knows a dead earlier run by the lock it no longer
# holds, not by its pid (always 1). Its state directory is the default,
# /tmp/ipc-playground-65532, in the container's own layer, so it survives
# a restart of the same container and the new server sweeps what the killed
# one left. Docker's /dev/shm is 64 MiB; a full one fails the sessions that
# need shared memory, in words, and never the server (--shm-size for more).
# TestContainer in cmd/server runs the binary this way without Docker: uid
# 65532, PID 1, its own PID, IPC and mount namespaces, a 64 MiB /dev/shm,
# /tmp and /data writable, ADDR and DATA_DIR set.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ipc-playground /usr/local/bin/ipc-playground
COPY --from=build --chown=65532:65532 /out/data /data
# nonroot is uid and gid 65532.
USER 65532:65532
ENV ADDR=0.0.0.0:8080 DATA_DIR=/data
# Every session's recording, kept across restarts of the container when a
# volume is mounted: docker run -v ipc-playground-data:/data ...
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
	CMD ["/usr/local/bin/ipc-playground", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/ipc-playground"]
