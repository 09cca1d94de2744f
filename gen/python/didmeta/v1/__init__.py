"""Generated protobuf and gRPC code of the didmeta.v1 contract (do not edit)."""
