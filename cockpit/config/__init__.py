"""The YAML config: typed models, a located loader, secrets by reference, and the JSON Schema."""
