"""The web inbox (`mentionwatch serve`): a front door over the store and respond.actions.

It parses requests, calls the actions module, and renders plain HTML forms (no JavaScript);
it never writes mention state itself.
"""
