"""``python -m headwater ...`` is the ``headwater`` command."""

from headwater.cli.app import main

main()
