"""Model traffic: both wire APIs (Responses, Chat Completions) into one event stream.

The only package that opens HTTP connections. Heavy by nature (ssl, asyncio): never
imported on the start-up path of ``--version`` or ``config show``.
"""
