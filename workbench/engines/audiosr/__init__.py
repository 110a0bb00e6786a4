"""AudioSR (versatile audio super-resolution) ported to today's stack; loads the official checkpoints."""
