"""The measured scenarios (a-e); each adds Results, with its baseline, to the Report.

Client and server are separate processes on 127.0.0.1; every loop is bounded by a count and,
for the unary load, by a time budget too.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import random
import resource
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import grpc

from bench import baselines
from bench.data import MAIN_SCOPE, SCOPES, Did, Shape, name_prefix
from bench.procs import RssSampler, ServerProcess, _wait_exit, children, pyspy, read_status_kb
from bench.report import Report, Result, percentile
from didmeta.client import Client, LoadChunk, NewDid
from didmeta.identifiers import DidKey
from didmeta.v1 import did_pb2, metadata_service_pb2, metadata_service_pb2_grpc
from didmeta.wire import metadata_to_wire

if TYPE_CHECKING:
    from bench.external import External

_TYPES = {"C": "container", "D": "dataset", "F": "file"}
_CLK_TCK = 100


def cpu_seconds(pid: int) -> float:
    """user + system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine (all cores, every process) has spent busy so far: /proc/stat's total
    less idle and iowait."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:9]]  # user nice system idle iowait irq softirq steal
    return (sum(values) - values[3] - values[4]) / _CLK_TCK


def children_cpu_seconds() -> float:
    """user + system CPU time of this process's finished children (a ghz run, once waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Context:
    """What every scenario needs for one backend."""

    backend: str  # sqlite | postgres | sqlite+PLUGIN (an external plugin, bench.external)
    database: str  # URL the server and the baselines use
    workdir: Path
    shape: Shape
    repeat: int
    report: Report
    profile_dir: Path | None = None
    external: External | None = None  # the plugin holding every non-column key, if not JSON
    database_pid: int | None = None  # PostgreSQL's postmaster: its processes' scheduling goes in the unary results
    reference: str = ""  # with `external`: the same rows with every key in the catalogue, for the SQL baselines

    @property
    def db(self) -> str:
        """The catalogue's database: sqlite or postgres."""
        return self.backend.split("+", 1)[0]

    @property
    def baseline_database(self) -> str:
        return self.reference or self.database

    def server(self, url: str, workers: int = 1) -> ServerProcess:
        """A didmeta server on catalogue `url` (with the external plugin's store of that catalogue)."""
        settings = self.external.settings(url) if self.external is not None else {}
        if workers != 1:
            settings = {**settings, "workers": workers}
        return ServerProcess(url, self.workdir / "server", settings=settings)

    def profile(self, server: ServerProcess | None, label: str) -> Any:
        if self.profile_dir is None or server is None:
            return contextlib.nullcontext()
        return pyspy(server.pid, self.profile_dir / f"{self.backend}-{label}.txt")


# --- a. bulk load -------------------------------------------------------------------------------------
def load_chunks(dids: Sequence[Did], size: int) -> list[list[Did]]:
    return [list(dids[i : i + size]) for i in range(0, len(dids), size)]


def to_load_chunk(chunk: Sequence[Did]) -> LoadChunk:
    new: list[NewDid] = []
    attachments: list[tuple[str | DidKey, str | DidKey]] = []
    for d in chunk:
        key = DidKey(d.scope, d.name)
        new.append(NewDid(key, _TYPES[d.type], bytes=d.bytes, adler32=d.adler32, metadata=dict(d.metadata)))
        if d.parent is not None:
            attachments.append((DidKey(*d.parent), key))
    return LoadChunk(dids=new, attachments=attachments)


def fresh_database(ctx: Context, label: str, postgres: Any) -> str:
    if ctx.db == "sqlite":
        path = ctx.workdir / f"{label}-{uuid.uuid4().hex[:6]}.db"
        return f"sqlite:///{path}"
    return str(postgres.fresh_database(label))


def migrate(url: str) -> None:
    """Create didmeta's schema (its own migrations) in an empty database."""
    from didmeta.server.store.engine import Store

    store = Store(url)
    try:
        store.migrate()
    finally:
        store.dispose()


def prepare_direct(ctx: Context, dids: Sequence[Did], chunk_size: int, postgres: Any, label: str) -> str:
    """A database with didmeta's schema holding the same rows, written directly (the baseline loader)."""
    url = fresh_database(ctx, label, postgres)
    migrate(url)
    loader = baselines.load_sqlite if ctx.db == "sqlite" else baselines.load_postgres
    loader(url, load_chunks(dids, chunk_size), dids)
    return url


def analyze(ctx: Context, url: str) -> None:
    if ctx.db == "postgres":
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("ANALYZE")  # what autovacuum does shortly after a bulk load; stable plans


def scenario_load(
    ctx: Context, dids: Sequence[Did], chunk_size: int, repeat: int, postgres: Any, max_seconds: float | None = None
) -> str:
    """LoadDids of every DID (with metadata and attachments), fresh database per repetition.

    With `max_seconds`, a repetition stops sending chunks after that time (the stream is closed
    normally) and the rate is over the DIDs created. Returns a complete database for the read
    scenarios: the last repetition's, or, if it was cut short, one written directly.
    """
    chunks = load_chunks(dids, chunk_size)
    seconds: list[float] = []
    created: list[int] = []
    server_cpu: list[float] = []
    chunk_marks: list[float] = []
    last_url = ""
    for rep in range(repeat):
        url = fresh_database(ctx, f"didmeta_{rep}", postgres)
        messages = [to_load_chunk(c) for c in chunks]
        marks: list[float] = []

        def bounded(
            start: float, messages: list[LoadChunk] = messages, marks: list[float] = marks
        ) -> Iterator[LoadChunk]:
            for message in messages:
                now = time.perf_counter()
                marks.append(now - start)
                if max_seconds is not None and now - start > max_seconds:
                    return
                yield message

        with ctx.server(url) as server, Client(server.target, timeout=None) as client:
            for scope in SCOPES:
                client.add_scope(scope, "root")
            cpu0 = cpu_seconds(server.pid)
            with ctx.profile(server if rep == repeat - 1 else None, "load"):
                start = time.perf_counter()
                result = client.load(bounded(start))
                seconds.append(time.perf_counter() - start)
            server_cpu.append(cpu_seconds(server.pid) - cpu0)
            created.append(result.created)
            if max_seconds is None and result.created != len(dids):
                ctx.report.errors.append(f"{ctx.backend} load created {result.created}, expected {len(dids)}")
        chunk_marks = marks
        last_url = url
    baseline_s: list[float] = []
    for rep in range(repeat):
        url = fresh_database(ctx, f"baseline_{rep}", postgres)
        migrate(url)
        loader = baselines.load_sqlite if ctx.db == "sqlite" else baselines.load_postgres
        baseline_s.append(loader(url, chunks, dids))
    how = "executemany" if ctx.db == "sqlite" else "COPY"
    base = ctx.report.add(Result("load", ctx.backend, f"baseline {how}", len(dids), baseline_s))
    rows = created[-1]
    # time between chunk hand-offs: the first and last tenth show whether the rate degrades with size
    gaps = [b - a for a, b in itertools.pairwise(chunk_marks)]
    tenth = max(1, len(gaps) // 10)
    ctx.report.add(
        Result(
            "load",
            ctx.backend,
            "LoadDids" + ("" if rows == len(dids) else f" (capped at {max_seconds:.0f} s)"),
            rows,
            [t * rows / max(c, 1) for t, c in zip(seconds, created, strict=True)],
            baseline=f"baseline {how}",
            baseline_rate=base.rate,
            extra={
                "chunk_size": chunk_size,
                "chunks": len(chunks),
                "created": created,
                "server_cpu_s": server_cpu,
                "keys_per_did": sum(len(d.metadata) for d in dids) / max(len(dids), 1),
                "attachments": sum(1 for d in dids if d.parent is not None),
                "first_tenth_dids_per_s": chunk_size / (sum(gaps[:tenth]) / tenth) if gaps else None,
                "last_tenth_dids_per_s": chunk_size / (sum(gaps[-tenth:]) / tenth) if gaps else None,
            },
        )
    )
    if created[-1] != len(dids):
        ctx.report.notes.append(
            f"{ctx.backend}: LoadDids was capped at {max_seconds:.0f} s ({created[-1]:,} of "
            f"{len(dids):,} DIDs); the read scenarios use the same rows written directly."
        )
        last_url = prepare_direct(ctx, dids, chunk_size, postgres, "didmeta_reads")
    analyze(ctx, last_url)
    return last_url


# --- helpers for streams -------------------------------------------------------------------------------
@dataclass
class Streamed:
    rows: int
    first_s: float
    total_s: float


def stream_batches(client: Client, scope: str, filter_: str = "", **options: Any) -> Streamed:
    start = time.perf_counter()
    first = 0.0
    rows = 0
    for response in client.list_dids_batches(scope, filter_, **options):
        if not first:
            first = time.perf_counter() - start
        rows += len(response.batch.names)
    total = time.perf_counter() - start
    return Streamed(rows, first or total, total)


def stream_items(iterator: Iterator[Any]) -> Streamed:
    start = time.perf_counter()
    first = 0.0
    rows = 0
    for _ in iterator:
        if not rows:
            first = time.perf_counter() - start
        rows += 1
    total = time.perf_counter() - start
    return Streamed(rows, first or total, total)


T = TypeVar("T")


def alternate(items: Sequence[T], rep: int, work: Callable[[T], None]) -> None:
    """Run `work` on every item, the order reversed on odd repetitions (no item always goes first)."""
    for item in items if rep % 2 == 0 else list(reversed(items)):
        work(item)


def repeated(times: int, run: Callable[[], Streamed]) -> list[Streamed]:
    return [run() for _ in range(times)]


class BareServer:
    """bench.bare_server as its own process (the transport ceiling)."""

    def __init__(self, database: str, scope: str, workdir: Path) -> None:
        self.database, self.scope, self.workdir = database, scope, workdir
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    def __enter__(self) -> BareServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        port_file = self.workdir / f"bare-port-{uuid.uuid4().hex[:6]}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.bare_server",
                "--database",
                self.database,
                "--scope",
                self.scope,
                "--port-file",
                str(port_file),
            ],
            cwd=Path(__file__).resolve().parents[1],
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("bench.bare_server exited early")
            if port_file.exists() and port_file.read_text().strip():
                self.port = int(port_file.read_text())
                port_file.unlink()
                return self
            time.sleep(0.05)
        raise RuntimeError("bench.bare_server did not start")

    def __exit__(self, *_: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            _wait_exit(self.proc, 10)


# --- b. whole-scope listing ------------------------------------------------------------------------------
def scenario_list(ctx: Context, server: ServerProcess, expected: int) -> None:
    report, sqlite = ctx.report, ctx.db == "sqlite"
    raw: dict[bool, Result] = {}
    for long in (False, True):
        sql = baselines.dialect_sql(baselines.list_sql(long), sqlite)
        fetched = [baselines.fetch_sql(ctx.baseline_database, sql, (MAIN_SCOPE,)) for _ in range(ctx.repeat)]
        form = "long" if long else "short"
        raw[long] = report.add(
            Result("list", ctx.backend, f"baseline raw SQL {form}", fetched[0].rows, [r.total_s for r in fetched])
        )
    bare: dict[bool, Result] = {}
    with (
        BareServer(ctx.baseline_database, MAIN_SCOPE, ctx.workdir / "bare") as bare_server,
        Client(f"127.0.0.1:{bare_server.port}", timeout=None) as client,
    ):
        for long in (False, True):
            runs = repeated(ctx.repeat, functools.partial(stream_batches, client, MAIN_SCOPE, type="all", long=long))
            form = "long" if long else "short"
            bare[long] = report.add(
                Result("list", ctx.backend, f"baseline bare gRPC {form}", runs[0].rows, [r.total_s for r in runs])
            )
    with Client(server.target, timeout=None) as client:
        cases: list[tuple[str, bool, Callable[[], Streamed]]] = [
            ("short/batches", False, lambda: stream_batches(client, MAIN_SCOPE, type="all")),
            ("long/batches", True, lambda: stream_batches(client, MAIN_SCOPE, type="all", long=True)),
            ("short/iterator", False, lambda: stream_items(client.list_dids(MAIN_SCOPE, type="all"))),
            ("long/iterator", True, lambda: stream_items(client.list_dids_long(MAIN_SCOPE, type="all"))),
        ]
        for name, long, run in cases:
            cpu0 = cpu_seconds(server.pid)
            with ctx.profile(server, f"list-{name.replace('/', '-')}"):
                runs = repeated(ctx.repeat, run)
            cpu = (cpu_seconds(server.pid) - cpu0) / ctx.repeat
            if runs[0].rows != expected:
                report.errors.append(f"{ctx.backend} list {name}: {runs[0].rows} DIDs, expected {expected}")
            result = Result(
                "list",
                ctx.backend,
                name,
                runs[0].rows,
                [r.total_s for r in runs],
                baseline=raw[long].name,
                baseline_rate=raw[long].rate,
                extra={
                    "first_s_median": sorted(r.first_s for r in runs)[len(runs) // 2],
                    "server_cpu_s_per_run": cpu,
                    "vs_bare_grpc": None,
                },
            )
            result.extra["vs_bare_grpc"] = result.rate / bare[long].rate
            report.add(result)
        # long output with two metadata keys per DID (bounded: at most 50,000 DIDs)
        limit = min(expected, 50_000)
        cpu0 = cpu_seconds(server.pid)
        with ctx.profile(server, "list-long-metadata"):
            runs = repeated(
                ctx.repeat,
                lambda: stream_batches(
                    client, MAIN_SCOPE, type="all", long=True, metadata_keys=["run_number", "energy"], limit=limit
                ),
            )
        report.add(
            Result(
                "list",
                ctx.backend,
                "long+2 metadata keys/batches",
                runs[0].rows,
                [r.total_s for r in runs],
                baseline=raw[True].name,
                baseline_rate=raw[True].rate,
                extra={"server_cpu_s_per_run": (cpu_seconds(server.pid) - cpu0) / ctx.repeat, "limit": limit},
            )
        )


# --- c. selective filters ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class FilterCase:
    name: str
    expression: str
    sqlite_where: str
    postgres_where: str
    ignore_case: bool = False


def filter_cases(shape: Shape) -> list[FilterCase]:
    prefix = name_prefix(shape)
    return [
        FilterCase("eq_column", "datatype=RAW", "datatype = 'RAW'", "datatype = 'RAW'"),
        FilterCase("eq_selective", "run_number=4242", "run_number = 4242", "run_number = 4242"),
        FilterCase(
            "eq_json",
            "data_format=RAW",
            "json_extract(meta, '$.data_format') = 'RAW'",
            'meta @> \'{"data_format": "RAW"}\'',
        ),
        FilterCase(
            "int_range",
            "run_number>1000,run_number<1100",
            "run_number > 1000 AND run_number < 1100",
            "run_number > 1000 AND run_number < 1100",
        ),
        FilterCase("name_prefix", f"name={prefix}*", f"name GLOB '{prefix}*'", f"name LIKE '{prefix}%%'"),
        FilterCase(
            "or_groups",
            "datatype=RAW,run_number<100;campaign=mc23a,run_number>4900",
            "(datatype = 'RAW' AND run_number < 100) OR (campaign = 'mc23a' AND run_number > 4900)",
            "(datatype = 'RAW' AND run_number < 100) OR (campaign = 'mc23a' AND run_number > 4900)",
        ),
        FilterCase(
            "cross_plugin",
            "datatype=AOD,energy>13000",
            "datatype = 'AOD' AND json_extract(meta, '$.energy') > 13000",
            "datatype = 'AOD' AND (meta->>'energy')::numeric > 13000",
        ),
        FilterCase(
            "ignore_case",
            "data_format=raw",
            "lower(json_extract(meta, '$.data_format')) = 'raw'",
            "lower(meta->>'data_format') = 'raw'",
            ignore_case=True,
        ),
    ]


def scenario_filters(ctx: Context, server: ServerProcess) -> None:
    sqlite = ctx.db == "sqlite"
    with Client(server.target, timeout=None) as client:
        for case in filter_cases(ctx.shape):
            where = case.sqlite_where if sqlite else case.postgres_where
            sql = f"SELECT scope, name FROM dids WHERE scope = %s AND ({where}) ORDER BY scope, name"
            base = [baselines.fetch_sql(ctx.baseline_database, sql, (MAIN_SCOPE,)) for _ in range(ctx.repeat)]
            with ctx.profile(server, f"filter-{case.name}"):
                runs = repeated(
                    ctx.repeat,
                    functools.partial(
                        stream_batches, client, MAIN_SCOPE, case.expression, type="all", ignore_case=case.ignore_case
                    ),
                )
            if runs[0].rows != base[0].rows:
                ctx.report.errors.append(
                    f"{ctx.backend} filter {case.name}: didmeta {runs[0].rows} DIDs, hand-written SQL {base[0].rows}"
                )
            base_median = sorted(b.total_s for b in base)[len(base) // 2]
            ctx.report.add(
                Result(
                    "filter",
                    ctx.backend,
                    case.name,
                    runs[0].rows,
                    [r.total_s for r in runs],
                    baseline="hand-written SQL",
                    baseline_rate=base[0].rows / base_median if base_median else None,
                    extra={
                        "expression": case.expression,
                        "ignore_case": case.ignore_case,
                        "sql_where": where,
                        "first_s": [r.first_s for r in runs],
                        "first_s_median": sorted(r.first_s for r in runs)[len(runs) // 2],
                        "baseline_median_s": base_median,
                        "baseline_first_s_median": sorted(b.first_s for b in base)[len(base) // 2],
                        "baseline_rows": base[0].rows,
                    },
                )
            )


# --- d. unary calls -------------------------------------------------------------------------------------
@dataclass
class UnaryRun:
    calls: int
    seconds: float
    latencies: list[float]
    errors: int
    first_error: str = ""  # code and details of the first failed call


#: Calls before a unary measurement, not measured.
WARM_UP_CALLS = 50


async def _unary(
    target: str, method: str, requests: Sequence[Any], concurrency: int, max_calls: int, max_seconds: float
) -> UnaryRun:
    async with grpc.aio.insecure_channel(target) as channel:
        call: Callable[..., Any]
        if method == "Health.Check":
            from grpc_health.v1 import health_pb2_grpc

            call = health_pb2_grpc.HealthStub(channel).Check
        elif method == "ListDids":  # server streaming: a call ends with its last message
            listing = metadata_service_pb2_grpc.MetadataServiceStub(channel).ListDids

            async def call(request: Any, timeout: float | None = None) -> None:
                async for _ in listing(request, timeout=timeout):
                    pass

        else:
            call = getattr(metadata_service_pb2_grpc.MetadataServiceStub(channel), method)
        warm_until = time.perf_counter() + max_seconds / 10
        for request in requests[-WARM_UP_CALLS:]:  # warm-up: the last 50 requests, at most a tenth of the time cap
            await call(request)
            if time.perf_counter() > warm_until:
                break
        counter = iter(range(max_calls))
        latencies: list[float] = []
        errors = 0
        first_error = ""
        deadline = time.perf_counter() + max_seconds

        async def worker() -> None:
            nonlocal errors, first_error
            for i in counter:
                if time.perf_counter() > deadline:
                    return
                t0 = time.perf_counter()
                try:
                    await call(requests[i % len(requests)], timeout=30)
                except grpc.aio.AioRpcError as error:
                    errors += 1
                    first_error = first_error or f"{error.code().name}: {error.details()}"
                latencies.append(time.perf_counter() - t0)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return UnaryRun(len(latencies), time.perf_counter() - start, latencies, errors, first_error)


def unary_requests(
    dids: Sequence[Did], count: int = 2000, plugin: str = "DID_COLUMN", measurement: int = 0
) -> tuple[list[Any], list[Any]]:
    """GetMetadata and SetMetadata requests of `count` DIDs of the main scope (the same DIDs every time).

    The SetMetadata values depend on `measurement`: each measurement writes values its DIDs do not hold
    yet (a `bench_note` of its own at least), so every call changes its DID and records history."""
    rnd = random.Random(7)
    population = [d for d in dids if d.scope == MAIN_SCOPE]
    sample = rnd.sample(population, min(count, len(population)))
    gets = [
        metadata_service_pb2.GetMetadataRequest(did=did_pb2.DidKey(scope=d.scope, name=d.name), plugin=plugin)
        for d in sample
    ]
    sets = []
    for i, d in enumerate(sample):
        request = metadata_service_pb2.SetMetadataRequest(did=did_pb2.DidKey(scope=d.scope, name=d.name))
        value = measurement * len(sample) + i
        metadata_to_wire({"lumiblocknr": value, "bench_note": f"note-{value}"}, request.metadata)
        sets.append(request)
    return gets, sets


def tree_cpu_seconds(pid: int) -> float:
    """user + system CPU time of a process and its living children (worker processes) so far."""
    total = cpu_seconds(pid)
    for child in children(pid):
        with contextlib.suppress(OSError):
            total += tree_cpu_seconds(child)
    return total


@dataclass
class Scheduled:
    """What the kernel's scheduler counted for a process tree (every thread's /proc/.../schedstat)."""

    on_cpu_s: float = 0.0
    runqueue_s: float = 0.0  # runnable, waiting for a core


#: Per thread (process id, thread id): nanoseconds on a core and waiting for one, so far.
SchedStats = dict[tuple[int, int], tuple[int, int]]


def tree_schedstats(pid: int) -> SchedStats:
    """The scheduler's counts of every thread of a process and of its living children, so far.

    For PostgreSQL's postmaster the tree is the cluster's processes (backends, checkpointer, autovacuum).
    Empty where the kernel keeps no schedstat."""
    stats: SchedStats = {}
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError, ValueError):
                on_cpu_ns, runqueue_ns, _ = (task / "schedstat").read_text().split()
                stats[(pid, int(task.name))] = (int(on_cpu_ns), int(runqueue_ns))
    for child in children(pid):
        stats.update(tree_schedstats(child))
    return stats


def scheduled_between(before: SchedStats, after: SchedStats) -> Scheduled:
    """The counts of the threads living at the end, less what they had at the start (a thread started in
    between counts whole; one that ended in between is left out, as its last counts are gone)."""
    on_cpu = sum(a[0] - before.get(key, (0, 0))[0] for key, a in after.items())
    runqueue = sum(a[1] - before.get(key, (0, 0))[1] for key, a in after.items())
    return Scheduled(on_cpu / 1e9, runqueue / 1e9)


@dataclass
class UnaryCase:
    label: str  # the result name before " c=N"
    method: str  # Health.Check | GetMetadata | SetMetadata | ListDids (small listings; the Python client only)
    requests: list[Any]
    #: The requests of the n-th measurement, when they must change between measurements (SetMetadata).
    renew: Callable[[int], list[Any]] | None = None


#: A small listing: one run's DIDs in the main scope (an indexed column; some 32 DIDs per call at 200k).
SMALL_LISTING = "run_number={run}"


def small_listings(count: int = 200) -> list[Any]:
    """ListDids requests of `SMALL_LISTING` for `count` different runs of the main scope."""
    from didmeta.v1 import filter_pb2

    runs = random.Random(11).sample(range(1, 5001), count)
    return [
        metadata_service_pb2.ListDidsRequest(
            scope=MAIN_SCOPE,
            filter=filter_pb2.Filter(expression=SMALL_LISTING.format(run=run)),
            type=did_pb2.DID_TYPE_SELECTOR_ALL,
        )
        for run in runs
    ]


def unary_cases(dids: Sequence[Did], get_plugins: Sequence[str], writes: bool, calls: int) -> list[UnaryCase]:
    """Health.Check (the floor) first, then GetMetadata of each plugin, then SetMetadata and small listings
    if `writes`.

    A SetMetadata measurement of `calls` calls writes new values to as many different DIDs (and 50 more
    for the Python client's warm-up, which takes the last requests), so no call rewrites a value."""
    from grpc_health.v1 import health_pb2

    cases = [UnaryCase("Health.Check", "Health.Check", [health_pb2.HealthCheckRequest(service="")])]
    for plugin in get_plugins:
        label = "GetMetadata" if plugin == "DID_COLUMN" else f"GetMetadata {plugin}"
        cases.append(UnaryCase(label, "GetMetadata", unary_requests(dids, plugin=plugin)[0]))
    if writes:
        writes_of = functools.partial(unary_requests, dids, calls + WARM_UP_CALLS)
        cases.append(UnaryCase("SetMetadata", "SetMetadata", [], lambda n: writes_of(measurement=n)[1]))
        cases.append(UnaryCase("ListDids small", "ListDids", small_listings()))
    return cases


@dataclass
class UnaryClient:
    """Who drives the calls: the Python grpc.aio client in this process, or ghz (bench/ghz.py)."""

    name: str  # "" (Python) or "ghz": the suffix of the result names
    concurrencies: Sequence[int]
    ghz: str | None = None
    protoset: Path | None = None
    connections: int = 1


@dataclass
class UnarySample:
    """One repetition of one unary measurement."""

    seconds: float  # wall time scaled to `max_calls` calls
    calls: int
    errors: int
    p50_s: float
    p99_s: float
    server_cpu_s: float
    client_cpu_s: float  # the load generator's CPU: the Python client's (this process) or ghz's
    machine_cores_busy: float  # cores the whole machine kept busy meanwhile (all processes; of os.cpu_count())
    server_scheduled: Scheduled  # the server's time on a core and waiting for one
    database_scheduled: Scheduled | None  # PostgreSQL's processes' (None: not measured)
    first_error: str = ""


def _unary_sample(
    ctx: Context,
    server: ServerProcess,
    client: UnaryClient,
    case: UnaryCase,
    concurrency: int,
    max_calls: int,
    max_seconds: float,
) -> UnarySample:
    cpu0, client0 = tree_cpu_seconds(server.pid), time.process_time()
    server0 = tree_schedstats(server.pid)
    database0 = tree_schedstats(ctx.database_pid) if ctx.database_pid else None
    machine0, wall0 = machine_busy_seconds(), time.perf_counter()

    def cores_busy() -> float:
        return (machine_busy_seconds() - machine0) / max(time.perf_counter() - wall0, 1e-9)

    def scheduled() -> tuple[Scheduled, Scheduled | None]:
        database = None
        if ctx.database_pid and database0 is not None:
            database = scheduled_between(database0, tree_schedstats(ctx.database_pid))
        return scheduled_between(server0, tree_schedstats(server.pid)), database

    if client.ghz is None:
        run = asyncio.run(_unary(server.target, case.method, case.requests, concurrency, max_calls, max_seconds))
        cpu, client_cpu = tree_cpu_seconds(server.pid) - cpu0, time.process_time() - client0
        return UnarySample(
            run.seconds * max_calls / max(run.calls, 1),
            run.calls,
            run.errors,
            percentile(run.latencies, 0.5),
            percentile(run.latencies, 0.99),
            cpu,
            client_cpu,
            cores_busy(),
            *scheduled(),
            run.first_error,
        )
    from bench import ghz

    assert client.protoset is not None
    ghz0 = children_cpu_seconds()
    out = ghz.run(
        client.ghz,
        client.protoset,
        server.target,
        case.method,
        case.requests,
        concurrency,
        max_calls,
        ctx.workdir,
        client.connections,
    )
    cpu, ghz_cpu = tree_cpu_seconds(server.pid) - cpu0, children_cpu_seconds() - ghz0
    return UnarySample(
        out.seconds * max_calls / max(out.calls, 1),
        out.calls,
        out.errors,
        out.p50_s,
        out.p99_s,
        cpu,
        ghz_cpu,
        cores_busy(),
        *scheduled(),
    )


def _unary_result(ctx: Context, name: str, samples: list[UnarySample], max_calls: int) -> Result:
    """The Result of a measurement's repetitions: median wall time, median p50/p99, CPU per call."""
    calls = sum(s.calls for s in samples)
    extra: dict[str, Any] = {
        "calls": [s.calls for s in samples],
        "errors": sum(s.errors for s in samples),
        "first_error": next((s.first_error for s in samples if s.first_error), ""),
        "p50_s": sorted(s.p50_s for s in samples)[len(samples) // 2],
        "p99_s": sorted(s.p99_s for s in samples)[len(samples) // 2],
        "p99_s_each": [s.p99_s for s in samples],
        "server_cpu_us_per_call": 1e6 * sum(s.server_cpu_s for s in samples) / max(calls, 1),
        "client_cpu_us_per_call": 1e6 * sum(s.client_cpu_s for s in samples) / max(calls, 1),
        "machine_cores_busy": sorted(s.machine_cores_busy for s in samples)[len(samples) // 2],
        "server_runqueue_us_per_call": 1e6 * sum(s.server_scheduled.runqueue_s for s in samples) / max(calls, 1),
    }
    databases = [s.database_scheduled for s in samples if s.database_scheduled is not None]
    if databases:  # PostgreSQL's processes: their CPU, and how long they waited for a core, per call
        extra["database_cpu_us_per_call"] = 1e6 * sum(d.on_cpu_s for d in databases) / max(calls, 1)
        extra["database_runqueue_us_per_call"] = 1e6 * sum(d.runqueue_s for d in databases) / max(calls, 1)
        extra["database_runqueue_us_each"] = [
            1e6 * s.database_scheduled.runqueue_s / max(s.calls, 1) for s in samples if s.database_scheduled
        ]
    return Result("unary", ctx.backend, name, max_calls, [s.seconds for s in samples], unit="req/s", extra=extra)


def scenario_unary(
    ctx: Context,
    server: ServerProcess,
    dids: Sequence[Did],
    max_calls: int,
    max_seconds: float,
    get_plugins: Sequence[str] = ("DID_COLUMN",),
    concurrencies: Sequence[int] = (1, 16, 64),
    writes: bool = True,
    clients: Sequence[UnaryClient] = (),
    tag: str = "",
) -> None:
    """Health.Check (the floor), GetMetadata of each of `get_plugins`, SetMetadata and the sync client if `writes`.

    GetMetadata of DID_COLUMN is named `GetMetadata c=N`, of another plugin `GetMetadata PLUGIN c=N`.
    Each of `clients` (default: the Python client at `concurrencies`) measures every case; a client's
    name and `tag` (e.g. `w2`: two worker processes) are appended in brackets. The ratio of each row
    is to Health.Check of the same client, concurrency and server.
    """
    cases = unary_cases(dids, get_plugins, writes, max_calls)
    measurements = itertools.count()
    clients = clients or [UnaryClient("", concurrencies)]
    for client in clients:
        suffix = "".join(f" [{part}]" for part in (client.name, tag) if part)
        for concurrency in client.concurrencies:
            # Repetitions interleave the cases (floor, method, floor, method, ...): on a shared machine
            # each ratio then compares measurements taken under the same background load.
            samples: dict[str, list[UnarySample]] = {case.label: [] for case in cases}
            for _ in range(ctx.repeat):
                for case in cases:
                    if case.method == "ListDids" and client.ghz is not None:
                        continue  # small listings are measured with the Python client only
                    label = f"unary-{case.label.replace(' ', '-')}-c{concurrency}"
                    label += suffix.replace(" [", "-").replace("]", "")
                    measured = case if case.renew is None else replace(case, requests=case.renew(next(measurements)))
                    with ctx.profile(server, label):
                        samples[case.label].append(
                            _unary_sample(ctx, server, client, measured, concurrency, max_calls, max_seconds)
                        )
            floor: Result | None = None
            for case in cases:
                if not samples[case.label]:
                    continue
                result = _unary_result(ctx, f"{case.label} c={concurrency}{suffix}", samples[case.label], max_calls)
                result.extra.update(client=client.name or "python", workers_tag=tag)
                if client.ghz is not None:
                    result.extra["connections"] = min(client.connections, concurrency)
                if floor is not None:
                    result.baseline, result.baseline_rate = floor.name, floor.rate
                    result.extra["p99_vs_floor"] = (
                        result.extra["p99_s"] / floor.extra["p99_s"] if floor.extra["p99_s"] else None
                    )
                ctx.report.add(result)
                if result.extra["errors"]:
                    ctx.report.errors.append(
                        f"{ctx.backend} unary {result.name}: {result.extra['errors']} calls failed, the first: "
                        f"{result.extra['first_error'] or '(ghz does not say)'}"
                    )
                if case.method == "Health.Check":
                    floor = result
    if not writes or tag:
        return
    # the synchronous client API, one call at a time
    gets = cases[1].requests
    with Client(server.target) as sync_client:
        keys = [DidKey(r.did.scope, r.did.name) for r in gets[:500]]
        sync_seconds = []
        for _ in range(ctx.repeat):
            start = time.perf_counter()
            for key in keys:
                sync_client.get_metadata(key)
            sync_seconds.append(time.perf_counter() - start)
        ctx.report.add(
            Result("unary", ctx.backend, "Client.get_metadata c=1 (sync)", len(keys), sync_seconds, unit="req/s")
        )


# --- e. server memory --------------------------------------------------------------------------------------
def scenario_memory(ctx: Context, server: ServerProcess, expected_all: int) -> None:
    """Stream every DID (scope `*`, long output) from a fresh server; VmRSS peak vs idle."""
    with Client(server.target, timeout=None) as client:
        stream_batches(client, MAIN_SCOPE, type="all", limit=10)  # warm: imports, pools, caches
        time.sleep(0.3)
        idle_kb = read_status_kb(server.pid)["VmRSS"]
        seconds, growth, peaks = [], [], []
        for _ in range(ctx.repeat):
            with RssSampler(server.pid) as sampler:
                run = stream_batches(client, "*", type="all", long=True)
            seconds.append(run.total_s)
            peaks.append(sampler.peak_kb)
            growth.append((sampler.peak_kb - idle_kb) / 1024)
            if run.rows != expected_all:
                ctx.report.errors.append(f"{ctx.backend} memory stream: {run.rows} DIDs, expected {expected_all}")
        after = read_status_kb(server.pid)
        ctx.report.add(
            Result(
                "memory",
                ctx.backend,
                "stream all, long",
                expected_all,
                seconds,
                extra={
                    "idle_rss_mb": idle_kb / 1024,
                    "peak_rss_mb": max(peaks) / 1024,
                    "growth_mb": max(growth),
                    "growth_mb_per_run": growth,
                    "vmhwm_mb": after["VmHWM"] / 1024,
                    "rss_after_mb": after["VmRSS"] / 1024,
                },
            )
        )
