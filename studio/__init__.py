"""The knowledge studio (知识库维护): maintainers keep the FAQ in the console, without a developer.

SQL is the FAQ's source of truth once the service runs: every change is a revision with its
author and time (store.py), so an entry or the whole base can be diffed and rolled back. The
repository's `knowledge/` YAML stays the seed and the exchange format (exchange.py): imported on
first start and by `python -m studio import`, written back byte for byte by `export`.

It composes three parts the import contracts keep apart, which is why it is a package of its
own that only the service's composition root (queue_service.app) imports: the console's
sessions and roles (queue_service.console), the knowledge base's rules (actions.faq.knowledge,
the one place they are written) and the channels' renderers for the answer preview
(integrations.*.render).
"""
