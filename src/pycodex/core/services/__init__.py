"""What front ends need from outside the conversation, owned by core and testable without a UI.

Front ends (``pycodex.frontends.*``) import only ``protocol``, ``config`` and ``core`` (plus
their UI library and the standard library); ``.importlinter`` enforces it. Whatever they
need from an edge package comes through here:

- ``sessions``: prompt history, the saved sessions (list, and what a resumed one shows),
  the trust answer for a project (over ``pycodex.storage``).
- ``replay``: which of a saved session's items a resumed session shows, and how.
- ``workspace``: the ``@`` file index (``pycodex.file_search``) and ``/diff`` (git, run
  through ``pycodex.sandbox``).
- ``user_programs``: the user's own programs (``$EDITOR``, a clipboard reader), unsandboxed.

Modules are imported one by one (``from pycodex.core.services.workspace import ...``) so a
front end pays only for what it uses.
"""
