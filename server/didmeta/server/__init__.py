"""The didmeta gRPC server: configuration, catalogue store, dispatcher, query engine and servicers."""
