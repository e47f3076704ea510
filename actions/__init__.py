"""Switchboard custom actions for the Rasa SDK action server, grouped by feature."""
