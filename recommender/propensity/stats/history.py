"""The buying history the propensity model learns from, as plain arrays.

Clients and families are 0-based indices; the caller keeps the mapping to its own ids.
"""

from dataclasses import dataclass, field

import numpy as np


@dataclass
class History:
    """Purchases of ``n_clients`` clients in ``n_families`` families.

    - ``client``, ``family`` (N,) int, ``day`` (N,) ``datetime64[D]``, ``euros`` (N,) float: one
      row per purchase (an order line, or a client-family-day total);
    - ``potential`` (C, F) float: stated annual potential in euros, NaN where none is known;
    - ``territory``, ``segment``, ``rep`` (C,) int codes (-1 unknown);
    - ``line`` (F,) int: the product line of each family;
    - ``campaign_family``, ``campaign_start``, ``campaign_end`` (K,): promotions of one family
      (a campaign of several families is one row per family).
    """

    client: np.ndarray
    family: np.ndarray
    day: np.ndarray
    euros: np.ndarray
    n_clients: int
    n_families: int
    potential: np.ndarray | None = None
    territory: np.ndarray | None = None
    segment: np.ndarray | None = None
    rep: np.ndarray | None = None
    line: np.ndarray | None = None
    campaign_family: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    campaign_start: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="datetime64[D]"))
    campaign_end: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="datetime64[D]"))

    def __post_init__(self):
        self.client = np.asarray(self.client, dtype=np.int64)
        self.family = np.asarray(self.family, dtype=np.int64)
        self.day = np.asarray(self.day, dtype="datetime64[D]")
        self.euros = np.asarray(self.euros, dtype=float)
        n = len(self.client)
        if not (len(self.family) == len(self.day) == len(self.euros) == n):
            raise ValueError("client, family, day and euros must have the same length")
        if n and (self.client.min() < 0 or self.client.max() >= self.n_clients):
            raise ValueError(f"client index outside 0..{self.n_clients - 1}")
        if n and (self.family.min() < 0 or self.family.max() >= self.n_families):
            raise ValueError(f"family index outside 0..{self.n_families - 1}")
        C, F = self.n_clients, self.n_families
        if self.potential is None:
            self.potential = np.full((C, F), np.nan)
        self.potential = np.asarray(self.potential, dtype=float).reshape(C, F)
        for name in ("territory", "segment", "rep"):
            v = getattr(self, name)
            setattr(self, name, np.full(C, -1) if v is None else np.asarray(v, dtype=np.int64))
        self.line = np.arange(F) if self.line is None else np.asarray(self.line, dtype=np.int64)
        self.campaign_family = np.asarray(self.campaign_family, dtype=np.int64)
        self.campaign_start = np.asarray(self.campaign_start, dtype="datetime64[D]")
        self.campaign_end = np.asarray(self.campaign_end, dtype="datetime64[D]")

    def before(self, as_of):
        """Boolean mask of the purchases strictly before ``as_of``."""
        return self.day < np.datetime64(as_of, "D")

    @property
    def first_day(self):
        return self.day.min() if len(self.day) else None

    @property
    def last_day(self):
        return self.day.max() if len(self.day) else None
