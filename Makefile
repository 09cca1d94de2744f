# didmeta developer entry points. `make serve` and `make test` work on a fresh machine.
VENV ?= .venv
PY := $(VENV)/bin/python
ARGS ?=

.PHONY: venv serve demo test lint proto generate toolchain breaking backends backends-stop bench bench-storage bench-scale bench-elastic-cluster bench-partitioning bench-pg-jit clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	bash tools/setup_venv.sh $(VENV)
	touch $@

## Start the server on the embedded SQLite default (sqlite:///./didmeta.db). ARGS="--demo-data" adds demo data.
serve: venv
	$(VENV)/bin/didmeta serve $(ARGS)

## Start the server with a small demo catalogue (scope `demo`) in its own database, didmeta-demo.db.
demo: venv
	$(VENV)/bin/didmeta serve --demo-data --database sqlite:///./didmeta-demo.db $(ARGS)

## The whole test suite: lint, types, contract, unit, integration on SQLite and PostgreSQL, backends.
test: venv
	bash tools/run_tests.sh $(VENV)

lint: venv
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy && $(VENV)/bin/buf lint

## Regenerate the Python code of the contract into gen/python.
proto: venv
	$(PY) tools/gen_proto.py

## Regenerate the contract's code in every language: gen/python, gen/go, gen/java, clients/ts/src/gen
## (installs the pinned local toolchain first; see buf.gen.yaml and docs/contract.md).
generate: venv
	bash tools/generate.sh $(VENV)

## The contract stays compatible with `main` and the newest v* tag (buf breaking, FILE rules).
breaking: venv
	bash tools/breaking.sh $(VENV)

## Install the polyglot toolchain (protoc plugins, grpcurl, grpc-health-probe, npm and Maven deps), cached.
toolchain:
	bash tools/toolchain.sh install

## Install and start every backend server on 127.0.0.1 (PostgreSQL, FerretDB, OpenSearch) for manual use.
backends:
	bash tools/backends/all.sh install && bash tools/backends/all.sh start

backends-stop:
	bash tools/backends/all.sh stop

## The benchmark suite (not part of `make test`); N=1000000 by default.
bench: venv
	$(PY) -m bench.run $(ARGS)

## Storage per DID per backend (docs/scale.md); ARGS e.g. --n 100000,300000 --external MONGO,ELASTIC,POSTGRES_JSON.
bench-storage: venv
	$(PY) -m bench.storage $(ARGS)

## 1M vs 10M DIDs on one PostgreSQL in one run (docs/scale.md); ~1.5 h on a 2-core machine. ARGS e.g. --sizes 100000,1000000.
bench-scale: venv
	$(PY) -m bench.scale --sizes 1000000,10000000 --repeat 5 --out bench/results/scale-n1m-n10m.json $(ARGS)

## ELASTIC on one OpenSearch node vs a 3-node cluster (3 shards, 1 replica), 1M DIDs (docs/scale.md); 4 JVMs (~3 GB), 1-1.5 h.
bench-elastic-cluster: venv
	$(PY) -m bench.elastic_cluster --n 1000000 --repeat 3 --out bench/results/elastic-cluster-n1m.json $(ARGS)

## Plain vs hash-partitioned catalogue at 10M DIDs, 64 partitions (docs/scale.md); ~40 GB of disk, 1-2 h here.
bench-partitioning: venv
	$(PY) -m bench.partitioning --n 10000000 --partitions 64 --repeat 3 --delete-scopes user.bench --out bench/results/partitioning-n10m-p64.json $(ARGS)

## PostgreSQL's JIT on and off on one 1M-DID catalogue: first batches and whole listings (docs/operations.md); ~5 min.
bench-pg-jit: venv
	$(PY) -m bench.pg_jit --n 1000000 --repeat 5 --out bench/results/pg-jit-n1m.json $(ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
