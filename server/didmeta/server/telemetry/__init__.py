"""Operations telemetry: Prometheus metrics (`metrics_listen`) and OpenTelemetry tracing (`tracing`).

Nothing here changes what a call does; it observes calls at the edges: a gRPC server interceptor
(`rpc.py`), timing wrappers around each plugin's backend calls (`plugins.py`) and SQLAlchemy pool
events (`pool.py`). `setup.py` wires them to a server from the Settings.
"""
