"""Routing of handed-over conversations: configuration (routing.yml) and decisions."""
