"""The Single Window's records that self-service queries read: a stand-in for the real back end.

Actions talk to `Records` (repository.py) only; `SqlRecords` (sql.py) is the default
implementation over its own database, filled by the demo-data generator (demo.py). An adapter to
the real Single Window services replaces it without touching the actions.
"""
