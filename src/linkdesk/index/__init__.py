"""Indexes built from the archive: phrase dictionary, link statistics, title index, text vectors.

:func:`build_index` reads a store once and returns a :class:`LinkIndex`; ``linkdesk index``
also trains the ranker on it and saves both with the archive.
"""

from .linkindex import LinkIndex, build_index, load_index, save_index

__all__ = ["LinkIndex", "build_index", "load_index", "save_index"]
