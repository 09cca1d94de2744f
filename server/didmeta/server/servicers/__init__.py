"""gRPC servicers: thin adapters from the wire contract to the dispatcher. No business rules here."""
