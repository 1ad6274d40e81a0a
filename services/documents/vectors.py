"""The per-tenant vector index: TF-IDF over the tenant's chunks reduced by LSA (truncated SVD)
to dense vectors, compared by cosine. Nothing is downloaded; the model is fitted on the
tenant's own text and stored with its index, so a query is embedded the way the chunks were."""

from __future__ import annotations

import pickle

import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline, make_pipeline

DIMENSIONS = 192
MIN_CHUNKS = 3  # below this there is nothing for LSA to learn; keyword search alone answers


def fit(texts: list[str]) -> Pipeline | None:
    """The fitted model, or None when the text is too little for LSA."""
    if len(texts) < MIN_CHUNKS:
        return None
    tfidf = TfidfVectorizer(sublinear_tf=True, stop_words="english", max_features=100_000,
                            dtype=np.float32)
    try:
        weights = tfidf.fit_transform(texts)
    except ValueError:  # nothing but stop words
        return None
    components = min(DIMENSIONS, weights.shape[1] - 1, len(texts) - 1)
    if components < 2:
        return None
    svd = TruncatedSVD(components, random_state=0).fit(weights)
    return make_pipeline(tfidf, svd)


class Embedder:
    """A fitted model turning text into unit vectors, for the chunks an index stores and for
    the queries compared with them: TF-IDF weights times the SVD's projection, kept as one
    contiguous float32 matrix (the pipeline's transposed view was copied on every query: 6 ms
    at 30,000 terms)."""

    def __init__(self, model: Pipeline):
        tfidf, svd = model.steps[0][1], model.steps[1][1]
        self.tfidf = tfidf
        self.projection = np.ascontiguousarray(svd.components_.T, dtype=np.float32)

    def __call__(self, texts: list[str]) -> np.ndarray:
        vectors = np.asarray(self.tfidf.transform(texts) @ self.projection, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)


def to_bytes(vector: np.ndarray) -> bytes:
    return vector.astype(np.float32).tobytes()


def matrix(blobs: list[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)


def dump(model: Pipeline) -> bytes:
    return pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)


def load(blob: bytes) -> Pipeline:
    return pickle.loads(blob)  # noqa: S301 - the tenant's own model, written by this code


def nearest(query: np.ndarray, vectors: np.ndarray, k: int) -> list[int]:
    """Row numbers of the k most similar vectors, best first (vectors are unit length)."""
    if not len(vectors):
        return []
    scores = vectors @ query.ravel()
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    return [int(i) for i in top[np.argsort(-scores[top], kind="stable")] if scores[i] > 0]
