"""Tools offered to the model and their handlers."""
