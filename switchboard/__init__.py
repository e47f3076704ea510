"""Process-level tooling: start the whole stack, train the model."""
