# Conveniences; the README's commands work without make.
.PHONY: run test test-all lint bench

run:
	go run ./cmd/guanxi serve --demo

test:
	go test -count=1 ./...

# test-all also runs the PostgreSQL tests against the local server.
test-all:
	GUANXI_TEST_POSTGRES=1 go test -count=1 ./...

lint:
	go vet ./...
	test -z "$$(gofmt -l $$(git ls-files '*.go'))"

bench:
	bash bench/import.sh
