"""`python -m cockpit` is the same program as the `cockpit` console script."""

from cockpit.cli import main

raise SystemExit(main())
