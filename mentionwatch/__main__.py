"""`python -m mentionwatch` is the same as the `mentionwatch` command."""

from mentionwatch.cli import main

main()
