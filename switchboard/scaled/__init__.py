"""The scaled topology on one machine: ``python -m switchboard.scaled`` (``make run-scaled``).

PostgreSQL, Redis, nginx and N instances each of the gateway, Rasa and the action server,
started and supervised through :class:`switchboard.stack.Stack`. ``docker-compose.yml``
describes the same topology for real deployments.
"""
