"""The descriptor pool that server reflection answers from, with method names resolved.

protobuf's Python pool finds the file of a message, enum or service by its full name, but not of a
method (`didmeta.v1.MetadataService.ListDids`). grpcurl's `describe Service.Method` and ghz without
`--proto` ask for exactly that, so this pool answers a method's name with its service's file, as the
C++ and Go reflection services do. Everything else is the default pool's answer.
"""

from __future__ import annotations

from typing import Any, cast

from google.protobuf import descriptor_pool


class MethodAwarePool:
    """A descriptor pool (the methods grpc_reflection calls) that also resolves `Service.Method` names."""

    def __init__(self, pool: descriptor_pool.DescriptorPool | None = None) -> None:
        self._pool = pool or descriptor_pool.Default()

    def FindFileContainingSymbol(self, symbol: str) -> Any:
        try:
            return self._pool.FindFileContainingSymbol(symbol)
        except KeyError:
            service, _, method = symbol.rpartition(".")
            try:
                found = self._pool.FindServiceByName(service)
            except KeyError:
                raise KeyError(symbol) from None
            if method not in found.methods_by_name:
                raise KeyError(symbol) from None
            return found.file

    @classmethod
    def as_pool(cls) -> descriptor_pool.DescriptorPool:
        """An instance typed as what grpc_reflection expects (it only calls the methods above and below)."""
        return cast(descriptor_pool.DescriptorPool, cls())

    def __getattr__(self, name: str) -> Any:  # FindFileByName, FindMessageTypeByName, extensions...
        return getattr(self._pool, name)
