"""Custom Rasa NLU components used by config.yml."""
