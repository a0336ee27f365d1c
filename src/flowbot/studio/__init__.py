"""The studio's logic outside HTTP: versions, preview and inspector, statistics, test files.

The routes are `flowbot.server.studio_api`; the API is described in docs/studio.md.
This package uses the engine, the format and the store, never the server.
"""
