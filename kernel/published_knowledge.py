"""Where the published knowledge base waits for the action servers, in Redis.

The knowledge studio publishes a snapshot of the knowledge base (its YAML files) together with
the model trained on it (queue_service/publishing). The service writes the snapshot here and
the action servers read it, so every action server answers from the published version without
a restart, on any host that reaches Redis. SQL keeps every version; these keys are a copy the
service writes again whenever they are missing or stale.

- `VERSION_KEY`: the published version's id (a string), absent until the first publish (the
  action servers then answer from the repository's knowledge/);
- `SNAPSHOT_PREFIX + version`: a hash of the snapshot's files, relative path → YAML text.
"""

VERSION_KEY = "swa:knowledge:published"
SNAPSHOT_PREFIX = "swa:knowledge:snapshot:"
