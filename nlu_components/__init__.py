"""Custom Rasa graph components, imported by Rasa from config.yml (Rasa runs from the root)."""
