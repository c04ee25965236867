"""What every process of the assistant shares, and nothing else of the project.

The message and payload contract, skills, identity claims and their signature, the card
protocol, the China clock, personal-number masking, clustering of
questions asked alike, logging, SQL helpers, shared settings and
the start-up secret policy. The service, the action server and the card bridge depend on it;
it depends on none of them (pyproject.toml [tool.importlinter], checked by `make lint`).
"""
