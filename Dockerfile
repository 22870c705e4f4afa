# Chat Center: one binary for `serve`, `worker`, `migrate` (and `dev`).
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/chatcenter ./cmd/chatcenter
# The files directory exists in the image, owned by the user the process runs as, so a volume
# mounted there (docker-compose.yml) starts out writable for it.
RUN mkdir -p /out/data/files

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/chatcenter /usr/local/bin/chatcenter
COPY --from=build --chown=65532:65532 /out/data /data
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/chatcenter"]
CMD ["serve"]
