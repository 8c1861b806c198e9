"""``python -m tls12`` is the ``tls12`` command."""

from tls12.cli import main

raise SystemExit(main())
