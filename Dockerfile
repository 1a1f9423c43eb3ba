# IPC Playground in a container: one static binary (the server and its
# worker processes are the same executable) on a minimal base, run as an
# ordinary user.
#
#   docker build -t ipc-playground .
#   docker run --rm -p 8080:8080 ipc-playground
#
# then open http://127.0.0.1:8080.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ipc-playground ./cmd/server

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ipc-playground /usr/local/bin/ipc-playground
USER nonroot:nonroot
ENV ADDR=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
	CMD ["/usr/local/bin/ipc-playground", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/ipc-playground"]
