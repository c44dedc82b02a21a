"""Allow ``python -m gender_diag``."""

from gender_diag.cli import main

raise SystemExit(main())
