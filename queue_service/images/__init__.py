"""Images in a human chat, both ways: a user's photo to their agent, an agent's picture to the
user (issue 20).

An image is checked before it is kept (size read with a cap, type by its first bytes, a rate per
conversation: upload.py), kept in SQL with the conversation it belongs to under a random id
(store.py), and named in the transcript line by a reference, ``swa-image:<id>`` (refs.py), which
each reader turns into its own authenticated address: the web chat asks with the conversation's
secret in a header, the console with its session, WeChat and Telegram get the bytes themselves.
Served with the sniffed type and headers that keep a browser from reading it as anything else
(serve.py).
"""
