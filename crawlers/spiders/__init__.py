"""One spider per source type; `SPIDERS` maps a config `type:` to its spider."""
