"""``python -m nerve`` is the ``nerve`` command."""

import sys

from nerve.cli import main

sys.exit(main())
