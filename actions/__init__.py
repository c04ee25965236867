"""Rasa SDK action package of the Single Window Assistant.

The action server is started with ``--actions actions``; it registers every
``Action`` subclass found in the modules imported here.
"""

from actions.greeting import ActionGreet

__all__ = ["ActionGreet"]
