"""The filter engine's pure part: model, string grammar and validation (spec §4)."""

from didmeta.filters.grammar import RawClause, parse_filter_string
from didmeta.filters.model import Clause, Filter, Group, Op
from didmeta.filters.normalize import normalize_groups, parse_filter

__all__ = [
    "Clause",
    "Filter",
    "Group",
    "Op",
    "RawClause",
    "normalize_groups",
    "parse_filter",
    "parse_filter_string",
]
