"""Configuration: load config.toml, layer profiles, `-c` overrides and flags, validate.

Pure apart from reading files; imports only `pycodex.protocol`.
"""
