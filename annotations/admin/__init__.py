"""The review desk. Thin: reads come from the selectors, HTML from templates, and every write
goes through ``annotations.services``.

Importing the package registers every model admin (Django's autodiscovery imports it).
"""

from annotations.admin import articles, claims, groups, history, links, tokens

__all__ = ["articles", "claims", "groups", "history", "links", "tokens"]
