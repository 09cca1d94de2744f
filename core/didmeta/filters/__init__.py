"""The filter engine's pure part: model, string grammar and validation (spec §4)."""

from didmeta.filters.grammar import RawClause
from didmeta.filters.model import Clause, Filter, Group, Op
from didmeta.filters.normalize import normalize_groups, normalize_tree, parse_filter, parse_filter_string
from didmeta.filters.tree import RawAnd, RawNode, RawNot, RawOr, parse_filter_tree

__all__ = [
    "Clause",
    "Filter",
    "Group",
    "Op",
    "RawAnd",
    "RawClause",
    "RawNode",
    "RawNot",
    "RawOr",
    "normalize_groups",
    "normalize_tree",
    "parse_filter",
    "parse_filter_string",
    "parse_filter_tree",
]
