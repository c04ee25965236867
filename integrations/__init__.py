"""Channel adapters: each translates one channel's protocol to and from the hub's message model."""
