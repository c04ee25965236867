"""Rasa SDK action package of the Single Window Assistant.

The action server registers every ``Action`` subclass found in the modules imported here.
"""

from actions.faq.actions import ActionAnswerFaq, ActionFaqMenu
from actions.greeting import ActionGreet
from actions.handoff import ActionHandoff

__all__ = ["ActionAnswerFaq", "ActionFaqMenu", "ActionGreet", "ActionHandoff"]
