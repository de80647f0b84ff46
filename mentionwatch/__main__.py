"""`python -m mentionwatch` is the same as the `mentionwatch` command."""

from mentionwatch.entry import main

main()
