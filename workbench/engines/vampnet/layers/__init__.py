"""Neural-network building blocks of the VampNet port (codec convolutions, transformer)."""
