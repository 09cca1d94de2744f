"""The conformance data set: keys of mixed types, tricky strings, lists, a hierarchy across two scopes.

`note` holds a newline (regex `.` matches it). `vals` holds lists of every kind (mixed types,
empty, nested, timestamps) for the list operators.
`run_number`, `datatype` and `campaign` are DID_COLUMN columns; every other key belongs to the
plugin under test, so cross-plugin filters are exercised on every backend.
"""

from __future__ import annotations

from datetime import UTC, datetime

from didmeta.identifiers import DidType
from didmeta.values import MetaValue
from tests.conformance.oracle import Record

T0 = datetime(2024, 1, 1, tzinfo=UTC)
T1 = datetime(2024, 6, 15, 12, 30, 45, 123456, tzinfo=UTC)

F, D, C = DidType.FILE, DidType.DATASET, DidType.CONTAINER

# name, type, metadata
_ROWS: list[tuple[str, DidType, dict[str, MetaValue]]] = [
    ("cont.mc", C, {"campaign": "mc23a", "tag": "alpha", "energy": 13.6, "vals": [-1, 0]}),
    ("cont.data", C, {"campaign": "data24", "tag": "Beta"}),
    (
        "ds.raw.100",
        D,
        {"run_number": 100, "datatype": "RAW", "mix": 5, "quality": "good", "tags": ["x", "y"]},
    ),
    ("ds.aod.200", D, {"run_number": 200, "datatype": "AOD", "mix": 5.0, "quality": "bad", "tags": ["y"]}),
    ("ds.raw.300", D, {"run_number": 300, "datatype": "RAW", "mix": "5", "quality": "Good"}),
    ("ds.when", D, {"mix": T0, "quality": "good", "flag": True, "when": T1, "vals": ["Calib_Up", "CALIB"]}),
    ("f.00", F, {"run_number": 100, "mix": 4.5, "energy": 1.5, "label": "a_b", "when": T0, "vals": [1, 2.5, 7]}),
    ("f.01", F, {"run_number": 100, "mix": -5, "energy": 2.0, "label": "a%b", "flag": False, "vals": [10, 20]}),
    (
        "f.02",
        F,
        {
            "run_number": 200,
            "mix": "abc",
            "energy": 1e-3,
            "label": "a?b",
            "tags": [1, 2, 5],
            "vals": ["calib_a", "calib_b"],
        },
    ),
    ("f.03", F, {"run_number": 200, "mix": [5, 6], "label": "a[1]", "when": T1, "vals": ["calib_x", "raw", 3]}),
    ("f.04", F, {"run_number": 300, "mix": {"inner": 5}, "label": "a.b", "quality": "GOOD", "vals": [T0, T1]}),
    ("f.05", F, {"run_number": 300, "mix": True, "label": "A*B", "energy": 7, "vals": [True, False]}),
    ("f.06", F, {"mix": 10, "label": "ab", "tags": ["X"], "energy": -0.5, "vals": [6]}),
    ("f.07", F, {"mix": 1_000_000_000_000, "label": "a\\b", "quality": "good", "vals": []}),
    ("f.08", F, {"label": "abc", "energy": 5, "vals": "calib_scalar"}),
    ("f.09", F, {"label": "xa_b", "tags": [], "note": "line1\nline2"}),
    (
        "f.10",
        F,
        {
            "datatype": "RAW",
            "label": "a b",
            "when": datetime(2023, 12, 31, 23, 59, 59, tzinfo=UTC),
            "vals": [[1, 2], {"a": 1}, 5],
        },
    ),
    ("f.11", F, {"label": "École", "note": "Line1"}),
]


def records(scope: str) -> list[Record]:
    return [Record(scope, name, did_type, dict(metadata)) for name, did_type, metadata in _ROWS]


def hierarchy(scope: str, other_scope: str) -> list[tuple[str, str]]:
    """(parent, child) attachments; some cross into `other_scope` (see `other_records`)."""
    s, o = scope, other_scope
    return [
        (f"{s}:cont.mc", f"{s}:ds.raw.100"),
        (f"{s}:cont.mc", f"{s}:ds.aod.200"),
        (f"{s}:cont.data", f"{s}:ds.raw.300"),
        (f"{s}:cont.data", f"{s}:ds.when"),
        (f"{s}:cont.data", f"{o}:ds.far"),
        (f"{s}:ds.raw.100", f"{s}:f.00"),
        (f"{s}:ds.raw.100", f"{s}:f.01"),
        (f"{s}:ds.aod.200", f"{s}:f.02"),
        (f"{s}:ds.aod.200", f"{s}:f.03"),
        (f"{s}:ds.aod.200", f"{s}:f.00"),
        (f"{s}:ds.raw.300", f"{s}:f.04"),
        (f"{s}:ds.when", f"{s}:f.05"),
        (f"{o}:ds.far", f"{o}:f.far"),
        (f"{o}:ds.far", f"{s}:f.06"),
    ]


def other_records(other_scope: str) -> list[Record]:
    return [
        Record(other_scope, "ds.far", D, {"quality": "good", "run_number": 100}),
        Record(other_scope, "f.far", F, {"quality": "good", "mix": 5, "energy": 3.25}),
    ]
