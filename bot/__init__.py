"""Switchboard gateway: the Sanic app that owns conversations and talks to Rasa."""
