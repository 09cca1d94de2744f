"""The REST/JSON gateway (`rest_listen`, docs/rest.md): HTTP routes from the contract's `google.api.http` options.

    templates.py  parse and match the path templates of the http rules
    routes.py     the routes: one per http rule (and additional binding) of every RPC
    transcode.py  JSON body, path variables and query parameters -> request message; messages -> JSON
    errors.py     google.rpc.Status as JSON and the gRPC code -> HTTP status table
    openapi.py    the OpenAPI document, built from the same routes and the message descriptors
    gateway.py    the aiohttp server: calls the gRPC server in-process, serves the OpenAPI document and the page
    static/       the read-only catalogue page (plain HTML and JavaScript)

The gateway never runs a servicer itself: it calls the gRPC server over a private Unix socket, so every
call goes through the same authentication, access checks, validation and error mapping as a gRPC call.
"""
