"""TF-IDF text vectors for context similarity: hashed features (no vocabulary to keep),
each article truncated to its strongest terms so 100k articles fit in little memory.

The words are hashed to columns exactly as scikit-learn's ``HashingVectorizer`` does (32-bit
MurmurHash3 of the word's UTF-8 bytes, the absolute value modulo the columns), so vectors saved by
earlier versions that used it stay valid; done here because importing scikit-learn takes over a
second, which every `suggest` paid at start-up for a few hundred words.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from ..text.normalize import STOPWORDS

__all__ = ["TextVectors", "titled"]

_N_FEATURES = 2**20
_KEEP_TERMS = 96
# the largest dense block of similarities computed at once (rows x articles)
_DENSE_LIMIT = 2_000_000
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
# the stop list as the tokenizer splits it ("don't" → "don"), so both agree
_STOP = frozenset(w for s in STOPWORDS for w in _TOKEN.findall(s))
# columns of the words met lately: a few tens of thousands of words make up most running text
_COLUMN_CACHE = 1 << 17
_columns: dict[str, int] = {}
_MASK32 = 0xFFFFFFFF
# words counted in one block (see _counts): some 30 MB of work arrays
_WORDS_COUNTED_AT_ONCE = 1 << 20


def titled(title: str | None, text: str) -> str:
    """What a text's vector is made of: its title, which says what it is about in few words,
    weighs as much as a second mention of each of its words would."""
    return f"{title}. {title}. {text}" if title else text


def _murmur3_32(key: bytes) -> int:
    """MurmurHash3 (x86, 32-bit, seed 0) of ``key``, as a signed integer."""
    h = 0
    whole = len(key) & ~3
    for i in range(0, whole, 4):
        h ^= _murmur3_block(int.from_bytes(key[i:i + 4], "little"))
        h = ((h << 13) | (h >> 19)) & _MASK32
        h = (h * 5 + 0xE6546B64) & _MASK32
    if len(key) > whole:
        h ^= _murmur3_block(int.from_bytes(key[whole:], "little"))
    h ^= len(key)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK32
    h ^= h >> 16
    return h - (1 << 32) if h & 0x80000000 else h


def _murmur3_block(k: int) -> int:
    k = (k * 0xCC9E2D51) & _MASK32
    k = ((k << 15) | (k >> 17)) & _MASK32
    return (k * 0x1B873593) & _MASK32


def _column(word: str) -> int:
    h = _murmur3_32(word.encode("utf-8"))
    # abs() of the smallest 32-bit integer does not fit in 32 bits: scikit-learn's special case
    column = (2**31 - 1 - (_N_FEATURES - 1)) % _N_FEATURES if h == -(2**31) else abs(h) % _N_FEATURES
    if len(_columns) >= _COLUMN_CACHE:
        _columns.clear()
    _columns[word] = column
    return column


def _counts(texts: Sequence[str]) -> sparse.csr_matrix:
    """How often each hashed word occurs in each of ``texts`` (lower-cased, words of two or more
    letters or digits, no stopwords): a row per text, float32, columns sorted within each row.
    Counted in blocks of texts: a draft's few hundred spans of two words in one go (counting them one
    by one cost four times as much), an archive of 100,000 articles never all at once."""
    blocks = []
    columns = array("i")
    lengths: list[int] = []
    known = _columns.get
    for text in texts:
        words = [word for word in _TOKEN.findall(text.lower()) if word not in _STOP]
        columns.extend([c if (c := known(word)) is not None else _column(word) for word in words])
        lengths.append(len(words))
        if len(columns) >= _WORDS_COUNTED_AT_ONCE:
            blocks.append(_count_block(columns, lengths))
            columns, lengths = array("i"), []
    if lengths or not blocks:
        blocks.append(_count_block(columns, lengths))
    return blocks[0] if len(blocks) == 1 else sparse.vstack(blocks, format="csr")


def _count_block(columns: array[int], lengths: list[int]) -> sparse.csr_matrix:
    """The counts of the hashed words ``columns`` of texts of ``lengths`` words, one after another."""
    rows = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    # (row, column) as one number: sorted, the counts come out row by row, columns in order
    cells, counts = np.unique(rows * _N_FEATURES + np.frombuffer(columns, dtype=np.int32), return_counts=True)
    indptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(np.bincount(cells // _N_FEATURES, minlength=len(lengths)), out=indptr[1:])
    return sparse.csr_matrix((counts.astype(np.float32), (cells % _N_FEATURES).astype(np.int32), indptr),
                             shape=(len(lengths), _N_FEATURES))


def _top_terms(m: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    m = m.tocsr()
    for i in range(m.shape[0]):
        a, b = m.indptr[i], m.indptr[i + 1]
        if b - a > keep:
            row = m.data[a:b]
            cut = np.partition(row, b - a - keep)[b - a - keep]
            row[row < cut] = 0
    m.eliminate_zeros()
    return m


def _l2(m: sparse.csr_matrix) -> sparse.csr_matrix:
    m = m.tocsr()
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    # each row scaled as it is, not through a diagonal matrix product: a draft or a replayed article
    # makes two of these, and the product cost more than the scaling
    scale = np.repeat(1.0 / norms, np.diff(m.indptr))
    out = sparse.csr_matrix(((m.data * scale).astype(np.float32), m.indices, m.indptr), shape=m.shape)
    out.has_sorted_indices = m.has_sorted_indices
    return out


class TextVectors:
    def __init__(self, idf: np.ndarray, matrix: sparse.csr_matrix) -> None:
        self.idf = idf
        self.matrix = matrix

    def state(self) -> dict[str, np.ndarray]:
        """The vectors as arrays, for :meth:`from_state`."""
        return {"idf": self.idf, "data": self.matrix.data, "indices": self.matrix.indices,
                "indptr": self.matrix.indptr, "shape": np.array(self.matrix.shape, dtype=np.int64)}

    @classmethod
    def from_state(cls, arrays: dict[str, np.ndarray]) -> TextVectors:
        rows, cols = (int(n) for n in arrays["shape"])
        matrix = sparse.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=(rows, cols))
        return cls(arrays["idf"], matrix)

    @classmethod
    def fit(cls, texts: Sequence[str]) -> TextVectors:
        if not texts:
            return cls(np.ones(_N_FEATURES, dtype=np.float32), sparse.csr_matrix((0, _N_FEATURES), dtype=np.float32))
        counts = _counts(texts)
        n = max(1, counts.shape[0])
        df = np.bincount(counts.indices, minlength=_N_FEATURES).astype(np.float32)
        idf = (np.log((n + 1) / (df + 1)) + 1.0).astype(np.float32)
        return cls(idf, _l2(_top_terms(cls._weigh(counts, idf), _KEEP_TERMS)))

    @staticmethod
    def _weigh(counts: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
        counts = counts.tocsr().astype(np.float32)
        counts.data = 1.0 + np.log(counts.data)  # sublinear tf
        counts.data *= idf[counts.indices]
        return counts

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return _l2(self._weigh(_counts(texts), self.idf))

    def similarity(self, queries: sparse.csr_matrix, rows: Sequence[int] | np.ndarray,
                   targets: Sequence[int] | np.ndarray) -> np.ndarray:
        """Cosine of query row ``rows[k]`` with article ``targets[k]``, for every k."""
        if not len(rows):
            return np.zeros(0, dtype=np.float32)
        # one product over the distinct rows and articles, then the pairs read out of it; the product
        # runs over only the columns the queries use, as scipy would otherwise allocate per call
        # arrays the size of the whole hashed vocabulary
        uq, qpos = np.unique(np.asarray(rows), return_inverse=True)
        ut, tpos = np.unique(np.asarray(targets), return_inverse=True)
        q, t = queries[uq], self.matrix[ut]
        cols, qcols = np.unique(q.indices, return_inverse=True)
        if not len(cols):
            return np.zeros(len(rows), dtype=np.float32)
        at = np.minimum(np.searchsorted(cols, t.indices), len(cols) - 1)
        shared = np.where(cols[at] == t.indices, t.data, 0.0)
        qc = sparse.csr_matrix((q.data, qcols, q.indptr), shape=(len(uq), len(cols)))
        tc = sparse.csr_matrix((shared, at, t.indptr), shape=(len(ut), len(cols))).T.tocsc()
        out = np.zeros(len(rows), dtype=np.float32)
        # in slices of query rows, so a very long draft never asks for one huge dense product
        step = max(1, _DENSE_LIMIT // max(1, len(ut)))
        for lo in range(0, len(uq), step):
            pick = (qpos >= lo) & (qpos < lo + step)
            if pick.any():
                block = (qc[lo:lo + step] @ tc).toarray()
                out[pick] = block[qpos[pick] - lo, tpos[pick]]
        return out

    def similarities(self, queries: sparse.csr_matrix, rows: Sequence[Sequence[int]],
                     targets: Sequence[int] | np.ndarray) -> np.ndarray:
        """:meth:`similarity` of each list of query rows in ``rows`` against the same ``targets``,
        as one product (one row of the result per list): the setup of a product costs as much as
        the product itself on a draft's few hundred candidates."""
        flat = self.similarity(queries, [r for some in rows for r in some], np.tile(np.asarray(targets), len(rows)))
        return flat.reshape(len(rows), len(targets))

    def similarity_to_all(self, query: sparse.csr_matrix) -> np.ndarray:
        """Cosine of one query row with every article."""
        if not query.nnz:
            return np.zeros(self.matrix.shape[0], dtype=np.float32)
        dense = np.zeros(self.matrix.shape[1], dtype=np.float32)
        dense[query.indices] = query.data
        return np.asarray(self.matrix @ dense, dtype=np.float32).ravel()
