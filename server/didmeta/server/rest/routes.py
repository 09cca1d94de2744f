"""The gateway's routes: one per `google.api.http` rule (and additional binding) of every RPC of the contract."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from google.api import annotations_pb2, http_pb2
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor

from didmeta.server.rest.templates import PathTemplate
from didmeta.v1 import did_service_pb2, metadata_service_pb2

SERVICES: tuple[ServiceDescriptor, ...] = (
    did_service_pb2.DESCRIPTOR.services_by_name["DidService"],
    metadata_service_pb2.DESCRIPTOR.services_by_name["MetadataService"],
)
_VERBS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True)
class Route:
    """HTTP method + path template -> one RPC; `body` is "" (none), "*" (the whole request) or a field name."""

    http_method: str
    template: PathTemplate
    body: str
    method: MethodDescriptor
    binding: int  # 0: the main rule, 1.. the additional bindings in order

    @property
    def grpc_path(self) -> str:
        return f"/{self.method.containing_service.full_name}/{self.method.name}"

    @property
    def operation_id(self) -> str:
        name = f"{self.method.containing_service.name}_{self.method.name}"
        return name if self.binding == 0 else f"{name}_{self.binding + 1}"

    @property
    def client_streaming(self) -> bool:
        return bool(self.method.client_streaming)

    @property
    def server_streaming(self) -> bool:
        return bool(self.method.server_streaming)


def _route(rule: http_pb2.HttpRule, method: MethodDescriptor, binding: int) -> Route:
    kind = rule.WhichOneof("pattern")
    if kind in _VERBS:
        http_method, template = kind.upper(), getattr(rule, kind)
    elif kind == "custom":
        http_method, template = rule.custom.kind.upper(), rule.custom.path
    else:
        raise ValueError(f"{method.full_name}: google.api.http rule without a pattern")
    return Route(http_method, PathTemplate.parse(template), rule.body, method, binding)


def routes_of(services: Iterable[ServiceDescriptor] = SERVICES) -> tuple[Route, ...]:
    """Every route of the services, those with a `:verb` first (a verb-less `**` template must not take them)."""
    routes: list[Route] = []
    for service in services:
        for method in service.methods:
            options = method.GetOptions()
            if not options.HasExtension(annotations_pb2.http):
                continue
            rule = options.Extensions[annotations_pb2.http]
            routes.append(_route(rule, method, 0))
            routes.extend(_route(extra, method, i) for i, extra in enumerate(rule.additional_bindings, start=1))
    return tuple(sorted(routes, key=lambda r: not r.template.verb))


def find_route(routes: Sequence[Route], http_method: str, path: str) -> tuple[Route | None, dict[str, str], list[str]]:
    """(route, path variables, allowed methods): route None if no route has that method for the path."""
    allowed: list[str] = []
    for route in routes:
        values = route.template.match(path)
        if values is None:
            continue
        if route.http_method == http_method:
            return route, values, []
        allowed.append(route.http_method)
    return None, {}, allowed
