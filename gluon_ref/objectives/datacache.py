"""A per-object cache of NumPy data moved to a point's namespace, dtype and device."""

from __future__ import annotations

import numpy as np

from ..backend import asarray_like

__all__ = ["DataCache"]


class DataCache:
    """NumPy data moved to a point's namespace, dtype and device, cached per object.

    Shared by :class:`Objective` and :class:`~.separable.LayerTerm`; the owner
    sets ``self._cache = {}`` and may lower ``_cache_limit``.
    """

    _cache_limit = 256

    def _data(self, xp, like, key: str, array: np.ndarray):
        """``array`` (NumPy, float64) in ``like``'s namespace and dtype, cached."""
        ck = (id(xp), str(like.dtype), str(getattr(like, "device", "")), key)
        hit = self._cache.get(ck)
        if hit is None:
            hit = asarray_like(np.asarray(array, dtype=np.float64), like)  # like's device too
            if len(self._cache) > self._cache_limit:
                self._cache.clear()
            self._cache[ck] = hit
        return hit

    def _samples(self, xp, like, batch, **arrays) -> list:
        """Data ``arrays`` (samples as columns, keyed by name) via :meth:`_data`; only the
        columns in ``batch`` when it is not ``None`` (a validated index array)."""
        out = [self._data(xp, like, k, a) for k, a in arrays.items()]
        if batch is not None:
            out = [xp.take(a, batch, axis=1) for a in out]
        return out
