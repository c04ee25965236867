"""The agent console: a web page served by the service, its JSON API and its websocket."""
