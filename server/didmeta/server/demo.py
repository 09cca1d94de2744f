"""A small demo catalogue for `didmeta serve --demo-data` (loaded only into an empty database)."""

from __future__ import annotations

from datetime import UTC, datetime

from didmeta.identifiers import DidKey, DidType
from didmeta.server.dispatcher import Dispatcher, NewDid
from didmeta.server.store.catalog import NewDidSpec

DEMO_SCOPE = "demo"


def load_demo_data(dispatcher: Dispatcher, account: str = "root") -> bool:
    """Create scope `demo` with 2 containers, 4 datasets and 40 files; False if any scope exists."""
    if dispatcher.list_scopes(None):
        return False
    dispatcher.add_scope(DEMO_SCOPE, account)
    new: list[NewDid] = []
    attachments: list[tuple[DidKey, DidKey]] = []
    for c, campaign in enumerate(("mc23a", "data24")):
        container = DidKey(DEMO_SCOPE, f"{campaign}.container")
        new.append(NewDid(NewDidSpec(container, DidType.CONTAINER, account), {"campaign": campaign}))
        for d in range(2):
            dataset = DidKey(DEMO_SCOPE, f"{campaign}.dataset_{d}")
            run = 1000 + 10 * c + d
            new.append(
                NewDid(
                    NewDidSpec(dataset, DidType.DATASET, account),
                    {"campaign": campaign, "run_number": run, "datatype": ("RAW", "AOD")[d]},
                )
            )
            attachments.append((container, dataset))
            for f in range(10):
                file = DidKey(DEMO_SCOPE, f"{campaign}.dataset_{d}.file_{f:03d}")
                new.append(
                    NewDid(
                        NewDidSpec(file, DidType.FILE, account, bytes=1_000_000 * (f + 1), adler32=f"{f:08x}"),
                        {
                            "run_number": run,
                            "energy": 6800.0 + f,
                            "quality": ("good", "bad")[f % 2],
                            "taken_at": datetime(2024, 5, 1 + f, tzinfo=UTC),
                            "tags": ["demo", campaign],
                        },
                    )
                )
                attachments.append((dataset, file))
    dispatcher.load_chunk(new, [], attachments)
    return True
