"""`didmeta import rucio`: copy a Rucio catalogue into a didmeta server through LoadDids.

Three phases, each a keyset walk over the source in primary-key order (constant memory):

1. DIDs (`dids` + `did_meta`), one LoadDids chunk per page: type, owner account, file attributes,
   physics columns and JSON metadata typed by `types.py`.
2. Attachments (`contents`, both ends in the imported scopes), one LoadDids chunk per page.
3. Closed collections: `SetDidStatus(open=false)` each (after the attachments: a closed collection
   takes no new children).

Resuming: after each chunk the phase and the last source key are written to the resume file
(atomically). A chunk that was applied but not yet recorded comes back as DID_EXISTS /
ATTACHMENT_EXISTS: the importer then drops what already exists and sends the rest, so nothing is
duplicated. The same rule makes a re-run without a resume file an incremental sync: new DIDs are
created, existing DIDs get their metadata set again (upsert), new attachments are made.

What didmeta cannot take (a key it cannot store, a value it cannot type, an attachment its rules
forbid) is refused item by item and reported with the reason; the rest goes in.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from didmeta.client import AlreadyExists, Client, DidmetaError, FailedPrecondition, LoadChunk, NewDid
from didmeta.identifiers import DidKey, validate_did, validate_scope
from didmeta.integrations.rucio.source import RucioSource
from didmeta.integrations.rucio.types import (
    Refusal,
    column_metadata,
    did_type,
    file_attributes,
    json_metadata,
)
from didmeta.values import Metadata

PHASES = ("dids", "attachments", "close", "done")


class Progress(Protocol):
    def __call__(self, phase: str, done: int, total: int) -> None: ...


@dataclass
class ImportState:
    """What the resume file holds: the phase, the last source key done, running counts."""

    phase: str = "dids"
    after: list[str] | None = None
    created: int = 0
    updated: int = 0
    attached: int = 0
    closed: int = 0
    refused: int = 0

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportState:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass
class ImportReport:
    """The outcome: counts per (scope, type) in the source and in didmeta, and every refusal."""

    state: ImportState
    source_counts: dict[tuple[str, str], int] = field(default_factory=dict)
    didmeta_counts: dict[tuple[str, str], int] = field(default_factory=dict)
    refusals: list[Refusal] = field(default_factory=list)
    attachments_outside: int = 0

    @property
    def matches(self) -> bool:
        return self.source_counts == self.didmeta_counts and not self.refusals


class RucioImporter:
    """Import one Rucio database (or some of its scopes) into the didmeta server behind `client`."""

    def __init__(
        self,
        source: RucioSource,
        client: Client,
        *,
        scopes: Sequence[str] = (),
        resume_file: Path | None = None,
        type_strings: bool = True,
        progress: Progress | None = None,
        max_refusals: int = 10_000,
    ) -> None:
        self.source, self.client = source, client
        self.only_scopes = list(scopes)
        self.resume_file = resume_file
        self.type_strings = type_strings
        self.progress: Progress = progress or (lambda phase, done, total: None)
        self.refusals: list[Refusal] = []
        self.refusal_reasons: Counter[str] = Counter()
        self.max_refusals = max_refusals
        self.state = self._load_state()

    # --- state ------------------------------------------------------------------------------------
    def _load_state(self) -> ImportState:
        if self.resume_file is not None and self.resume_file.exists():
            return ImportState.from_json(json.loads(self.resume_file.read_text()))
        return ImportState()

    def _save_state(self) -> None:
        if self.resume_file is None:
            return
        temporary = self.resume_file.with_name(self.resume_file.name + ".tmp")
        temporary.write_text(json.dumps(self.state.to_json()))
        os.replace(temporary, self.resume_file)

    def _refuse(self, refusal: Refusal) -> None:
        self.state.refused += 1
        self.refusal_reasons[refusal.reason] += 1
        if len(self.refusals) < self.max_refusals:
            self.refusals.append(refusal)

    # --- the import -------------------------------------------------------------------------------
    def run(self) -> ImportReport:
        scopes = self._scopes()
        counts = self.source.count_dids(scopes)
        total_dids = sum(counts.values())
        both, outside = self.source.count_attachments(scopes)
        if self.state.phase == "dids":
            self._import_dids(scopes, total_dids)
            self._advance("attachments")
        if self.state.phase == "attachments":
            self._import_attachments(scopes, both)
            self._advance("close")
        if self.state.phase == "close":
            self._close_collections(scopes)
            self._advance("done")
        report = ImportReport(self.state, refusals=self.refusals, attachments_outside=outside)
        for (scope, code), n in counts.items():
            name = did_type(code)
            if name is not None:
                report.source_counts[(scope, name)] = n
            else:
                self._refuse(
                    Refusal(f"{scope}:*", "", f"{n} DID(s) of Rucio type {code!r} (not file/dataset/container)")
                )
        for scope in scopes:
            for name in ("file", "dataset", "container"):
                n = self.client.count_dids(scope, type=name)
                if n or (scope, name) in report.source_counts:
                    report.didmeta_counts[(scope, name)] = n
        return report

    def _advance(self, phase: str) -> None:
        self.state.phase, self.state.after = phase, None
        self._save_state()

    def _scopes(self) -> list[str]:
        found = self.source.list_scopes(self.only_scopes)
        missing = sorted(set(self.only_scopes) - {s for s, _ in found})
        if missing:
            raise ValueError(f"scope(s) not in the Rucio database: {', '.join(missing)}")
        existing = {s.name for s in self.client.list_scopes()}
        names: list[str] = []
        for scope, account in found:
            try:
                validate_scope(scope)
            except DidmetaError as error:
                self._refuse(Refusal(f"{scope}:*", "", f"scope not importable: {error.message}"))
                continue
            if scope not in existing:
                self.client.add_scope(scope, account)
            names.append(scope)
        return names

    # --- phase 1: DIDs ----------------------------------------------------------------------------
    def _new_did(self, row: dict[str, Any]) -> NewDid | None:
        did = f"{row['scope']}:{row['name']}"
        kind = did_type(row["did_type"])
        if kind is None:
            self._refuse(Refusal(did, "", f"Rucio type {row['did_type']!r} is not file/dataset/container"))
            return None
        try:
            validate_did(row["scope"], row["name"])
        except DidmetaError as error:
            self._refuse(Refusal(did, "", f"identifier not valid in didmeta: {error.message}"))
            return None
        metadata, refusals = column_metadata(did, row)
        extra, more = json_metadata(did, row.get("meta"), self.type_strings)
        for refusal in [*refusals, *more]:
            self._refuse(refusal)
        for key in list(extra):
            if key in metadata:
                self._refuse(Refusal(did, key, "JSON key shadowed by the DID column of the same name"))
                del extra[key]
        metadata.update(extra)
        attributes = file_attributes(row) if kind == "file" else {}
        return NewDid(
            DidKey(row["scope"], row["name"]), kind, metadata=metadata, account=str(row["account"]), **attributes
        )

    def _import_dids(self, scopes: Sequence[str], total: int) -> None:
        after = tuple(self.state.after) if self.state.after else None
        done = self.state.created + self.state.updated
        for page in self.source.dids_after(scopes, after):  # type: ignore[arg-type]
            news = [n for n in (self._new_did(row) for row in page) if n is not None]
            self._send_dids(news)
            done += len(page)
            self.state.after = [page[-1]["scope"], page[-1]["name"]]
            self._save_state()
            self.progress("dids", done, total)

    def _send_dids(self, news: list[NewDid]) -> None:
        if not news:
            return
        try:
            result = self.client.load([LoadChunk(dids=news)])
            self.state.created += result.created
            return
        except AlreadyExists:
            pass  # some exist already (a resumed or repeated import): create the others, update the rest
        except DidmetaError:
            self._send_dids_one_by_one(news)
            return
        keys = [n.did for n in news]
        existing = {did for did, metadata in self.client.get_metadata_bulk(keys, "DID_COLUMN") if metadata is not None}
        fresh = [n for n in news if n.did not in existing]
        updates: list[tuple[str | DidKey, Metadata]] = [
            (n.did, n.metadata) for n in news if n.did in existing and n.metadata
        ]
        try:
            result = self.client.load([LoadChunk(dids=fresh, metadata=updates)])
            self.state.created += result.created
            self.state.updated += result.updated
        except DidmetaError:
            self._send_dids_one_by_one(fresh)
            for did, metadata in updates:
                self._set_metadata(did, metadata)

    def _send_dids_one_by_one(self, news: list[NewDid]) -> None:
        for new in news:
            try:
                self.state.created += self.client.load([LoadChunk(dids=[new])]).created
            except AlreadyExists:
                if new.metadata:
                    self._set_metadata(new.did, new.metadata)
            except DidmetaError as error:
                self._refuse(Refusal(str(new.did), "", f"{error.code.name} {error.reason}: {error.message}"))

    def _set_metadata(self, did: str | DidKey, metadata: Metadata) -> None:
        try:
            self.client.set_metadata(did, metadata)
            self.state.updated += 1
        except DidmetaError as error:
            self._refuse(Refusal(str(did), "", f"{error.code.name} {error.reason}: {error.message}"))

    # --- phase 2: attachments ---------------------------------------------------------------------
    def _import_attachments(self, scopes: Sequence[str], total: int) -> None:
        after = tuple(self.state.after) if self.state.after else None
        done = 0
        for page in self.source.attachments_after(scopes, after):  # type: ignore[arg-type]
            pairs = [(DidKey(s, n), DidKey(cs, cn)) for s, n, cs, cn in page]
            self._send_attachments(pairs)
            done += len(page)
            self.state.after = list(page[-1])
            self._save_state()
            self.progress("attachments", done, total)

    def _send_attachments(self, pairs: list[tuple[DidKey, DidKey]]) -> None:
        try:
            self.state.attached += self.client.load([LoadChunk(attachments=list(pairs))]).attached
            return
        except AlreadyExists:
            pairs = self._new_attachments(pairs)
        except DidmetaError:
            pass
        for parent, child in pairs:  # the rare chunk with a problem: one by one, refusing what fails
            try:
                self.state.attached += self.client.load([LoadChunk(attachments=[(parent, child)])]).attached
            except AlreadyExists:
                continue
            except DidmetaError as error:
                self._refuse(Refusal(f"{parent}", f"{child}", f"attachment refused: {error.code.name} {error.reason}"))

    def _new_attachments(self, pairs: list[tuple[DidKey, DidKey]]) -> list[tuple[DidKey, DidKey]]:
        present: set[tuple[DidKey, DidKey]] = set()
        for parent in sorted({p for p, _ in pairs}):
            present.update((parent, child.key) for child in self.client.list_content(parent))
        return [pair for pair in pairs if pair not in present]

    # --- phase 3: closed collections --------------------------------------------------------------
    def _close_collections(self, scopes: Sequence[str]) -> None:
        after = tuple(self.state.after) if self.state.after else None
        for page in self.source.closed_after(scopes, after):  # type: ignore[arg-type]
            for scope, name in page:
                try:
                    info = self.client.set_status(DidKey(scope, name), open=False)
                    self.state.closed += int(not info.is_open)
                except FailedPrecondition:
                    continue  # closed already (a resumed or repeated import)
                except DidmetaError as error:
                    self._refuse(Refusal(f"{scope}:{name}", "", f"not closed: {error.code.name} {error.reason}"))
            self.state.after = list(page[-1])
            self._save_state()
            self.progress("close", self.state.closed, 0)


def format_report(report: ImportReport, started: float, reasons: Counter[str], shown: int = 20) -> str:
    """The closing summary: counts per scope and type against the source, then the refusals."""
    lines = [f"{'scope':<25} {'type':<10} {'rucio':>10} {'didmeta':>10}"]
    for key in sorted(set(report.source_counts) | set(report.didmeta_counts)):
        source, target = report.source_counts.get(key, 0), report.didmeta_counts.get(key, 0)
        mark = "" if source == target else "  MISMATCH"
        lines.append(f"{key[0]:<25} {key[1]:<10} {source:>10,} {target:>10,}{mark}")
    s = report.state
    lines.append(
        f"created {s.created:,}, metadata updated {s.updated:,}, attached {s.attached:,}, closed {s.closed:,}, "
        f"refused {s.refused:,} in {time.monotonic() - started:.1f} s"
    )
    if report.attachments_outside:
        lines.append(f"{report.attachments_outside:,} attachment(s) to DIDs of scopes not imported were left out")
    if reasons:
        lines.append("refused (count, reason):")
        lines.extend(f"  {n:>8,}  {reason}" for reason, n in reasons.most_common())
        lines.append(f"first {min(shown, len(report.refusals))} refusal(s):")
        lines.extend(f"  {r.describe()}" for r in report.refusals[:shown])
    elif report.source_counts == report.didmeta_counts:
        lines.append("every count matches the source")
    return "\n".join(lines)
