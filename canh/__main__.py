"""Allow ``python -m canh``."""

from canh.cli import main

raise SystemExit(main())
