# Chat Center: one binary for `serve`, `worker`, `migrate` (and `dev`).
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/chatcenter ./cmd/chatcenter

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/chatcenter /usr/local/bin/chatcenter
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/chatcenter"]
CMD ["serve"]
