"""The engine: a registry of models with their data tests, building them in dependency order,
and materialising a warehouse atomically under one writer at a time."""
