"""HTTP API blueprints of the gateway."""
