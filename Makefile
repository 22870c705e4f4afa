# Chat Center — common tasks. `make dev` runs the product, `make test` runs every test.
SQLC := go run github.com/sqlc-dev/sqlc/cmd/sqlc@v1.31.1

.PHONY: dev test check-generated generate vet fmt bench build

dev:
	go run ./cmd/chatcenter dev

build:
	go build -o bin/chatcenter ./cmd/chatcenter

# test fails when generated code is stale, vet complains, or any test fails.
test: check-generated vet
	go test -count=1 -timeout 30m ./...

check-generated:
	@$(SQLC) diff || (echo "db/dbsqlc is stale: run 'make generate' and commit the result" >&2; exit 1)
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '^db/dbsqlc/'))" || (echo "gofmt would change:"; gofmt -l $$(git ls-files '*.go' | grep -v '^db/dbsqlc/'); exit 1)

generate:
	$(SQLC) generate

vet:
	go vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go' | grep -v '^db/dbsqlc/')

bench:
	go run ./cmd/chatbench
