"""`python -m pycodex` runs the CLI."""

from pycodex.cli import main

raise SystemExit(main())
