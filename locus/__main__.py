"""`python -m locus`: the `locus` command."""

import sys

from locus.cli import main

sys.exit(main())
