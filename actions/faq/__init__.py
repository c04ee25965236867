"""The hot-topic FAQ: knowledge base, hot-question ranking and the actions that answer."""
