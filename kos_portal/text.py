"""Search text: one folding rule for every search box.

People type "zlotoklos", "ZŁOTOKŁOS" or "Złotokłos" and mean the same club. Rows keep a
`search_text` column of folded words (lower case, no diacritics: "złotokłos" is
"zlotoklos"), written on save; a search folds the typed words the same way and asks for
each of them. The same rule on SQLite and PostgreSQL, where a trigram index on the
column (migrations) makes `LIKE '%kowal%'` an index scan instead of a walk over every row.
"""

import unicodedata

from django.db.models import QuerySet

# Letters that Unicode does not decompose into a base letter and a mark.
_UNDECOMPOSED = str.maketrans({"ł": "l", "ß": "ss", "æ": "ae", "ø": "o", "đ": "d"})


def fold(*parts: str | None) -> str:
    """The parts as one line of folded words: "Żółkiewska  Anna" is "zolkiewska anna"."""
    text = " ".join(" ".join(part.split()) for part in parts if part).casefold()
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSED))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_words(queryset: QuerySet, field: str, typed: str | None) -> QuerySet:
    """Rows whose folded `field` contains every typed word (in any order)."""
    for word in fold(typed or "").split():
        queryset = queryset.filter(**{f"{field}__contains": word})
    return queryset
