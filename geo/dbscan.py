"""DBSCAN on a grid of cells: scikit-learn's cores and noise in O(n) memory.

scikit-learn's ``DBSCAN`` lists every point's neighbours within ``eps`` before it clusters,
so its memory grows with the number of neighbour pairs: a register of a million
establishments reached 18 GB within 500 m. :func:`dbscan_grid` finds the same clusters with
memory proportional to the number of points (after Gunawan's grid algorithm, as described
by Gan and Tao, *DBSCAN Revisited*, SIGMOD 2015):

1. **Cells.** Points are sorted into square cells a little narrower than ``eps/√2``, so
   any two points of one cell are within ``eps`` of each other. A cell of at least
   ``min_samples`` points holds only core points. A neighbour of a point lies at most two
   cells away (``eps`` is less than two cell widths), in the 5 x 5 block around its cell:
   only the points of the other cells are tested. A cell whose block holds fewer than
   ``min_samples`` points has no core point; for the others, one k-d tree over the points
   of their blocks gives each point's ``min_samples``-th nearest neighbour (two threads),
   and the neighbours are counted (``query_ball_point(..., return_length=True)``) only
   where that distance is within rounding of ``eps``. Neighbouring cells are found in a
   look-up table of the grid's cells when it has at most a few cells per point, else by
   binary searches of the sorted cell keys (a radix sort of 16-bit digits).
2. **Core clusters.** The core points of one cell are in one cluster. Two cells of the
   5 x 5 block join when a core point of one lies within ``eps`` of a core point of the
   other. Each of the twelve directions of the block is tested at once for every pair of
   cells: first between the pair's outermost core points facing each other (which joins
   almost every pair of a dense area), then, for the pairs still in different clusters,
   by an exact closest-pair test (all pairs of their core points when few, a k-d tree
   when many). Clusters are connected components of the joined cells
   (``scipy.sparse.csgraph``).
3. **Border points.** A point that is not core but lies within ``eps`` of a core point is
   a border point. It joins the cluster of its own cell's core points when its cell has
   some (they are all within ``eps`` of it), else that of its **nearest** core point (one
   of them on an exact tie). The others are noise.
4. **Outline.** For the clusters' convex hulls, the points of a cell whose four diagonal
   neighbours hold points of its cluster, and the points strictly inside the octagon of
   their cell's outermost points (of one cluster), are marked as no hull vertex.

Core points, the partition of the core points into clusters and the noise are exactly
scikit-learn's (distances compared as ``dx*dx + dy*dy <= eps*eps``, as its k-d tree does).
Border points are not unique in DBSCAN: scikit-learn gives a border point within ``eps`` of
two clusters to whichever it expands first; here it goes by the rule of step 3, always
to a cluster with a core point within ``eps`` of it.
Clusters are numbered by size, largest first (ties: by their lowest cell).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geo._sorting import stable_order, take_rows
from geo._threads import THREADS, map_parts, pool_map
from geo.errors import ParameterError

__all__ = ["GridDBSCAN", "dbscan_grid"]

#: The twelve forward offsets of the 5 x 5 block (the other twelve are their opposites).
_FORWARD = [(di, dj) for di in range(3) for dj in range(-2, 3) if di > 0 or dj > 0]
#: Unit directions every 45°, counter-clockwise from +x (the outermost core points of a
#: cell are kept in each).
_DIRECTIONS = np.array([(1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1)])
#: Point pairs compared at once in the exact test (bounds its memory: 16 bytes a pair).
_PAIRS_PER_BATCH = 2_000_000
#: Points read at once by :func:`_outermost` and :func:`_outline` (bounds their memory).
_OUTLINE_CHUNK = 1_000_000
#: A grid of at most this many cells per point (empty ones included) gets a look-up table
#: of the cell at each key (4 bytes a cell), instead of binary searches of the keys.
_TABLE_CELLS_PER_POINT = 8
#: ... and any grid of at most this many cells.
_TABLE_MIN_CELLS = 2**16
#: Above this ``min_samples``, core points are found by counting their neighbours within
#: ``eps`` rather than by the distance to their ``min_samples``-th nearest one (a k-d tree
#: keeps a heap of ``k`` neighbours per point: 4x slower for k = 823).
_KTH_SAMPLES = 32
#: Points, or cells, a thread of the grid's kernels takes at least.
_CELLS_PART = 500_000
#: Above this many point pairs, a cell pair is tested with a k-d tree instead.
_TREE_PAIRS = 250_000


@dataclass(frozen=True)
class GridDBSCAN:
    """Result of :func:`dbscan_grid`, aligned on the input points.

    Attributes
    ----------
    labels
        Cluster of each point (``-1``: noise), numbered by cluster size, largest first.
    core
        Whether each point is a core point (at least ``min_samples`` points, itself
        included, within ``eps``).
    outline
        Whether each point may be a vertex of its cluster's convex hull: every clustered
        point but those strictly inside the octagon of their cell's outermost points of
        the same cluster (the hull of the kept points is the cluster's hull).
    """

    labels: np.ndarray
    core: np.ndarray
    outline: np.ndarray

    @property
    def n_clusters(self) -> int:
        """Number of clusters."""
        return int(self.labels.max()) + 1 if len(self.labels) else 0


@dataclass
class _Cells:
    """Points sorted by cell: ``xy`` in cell order, each cell's key, first point and
    size, the cell of each sorted point, and the key arithmetic of the offsets."""

    xy: np.ndarray
    keys: np.ndarray
    starts: np.ndarray
    counts: np.ndarray
    width: int
    origin: np.ndarray
    side: float
    cell_of: np.ndarray = dataclasses.field(init=False)
    table: np.ndarray | None = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        index = np.int32 if len(self.keys) < 2**31 else np.int64
        self.cell_of = np.repeat(np.arange(len(self.keys), dtype=index), self.counts)
        # the cell of every key of the grid (-1: empty) when the grid is small enough:
        # keys reach (last column + 2) * width + width - 1 with the offsets
        size = (int(self.keys[-1]) // self.width + 3) * self.width if len(self.keys) else 0
        self.table = None
        if index is np.int32 and size <= max(
            _TABLE_CELLS_PER_POINT * len(self.xy), _TABLE_MIN_CELLS
        ):
            self.table = np.full(size, -1, dtype=np.int32)
            self.table[self.keys] = np.arange(len(self.keys), dtype=np.int32)

    def cells_of(self, points: np.ndarray) -> np.ndarray:
        """The cells of sorted point indices, each once."""
        cells = self.cell_of[points]
        return cells[np.concatenate([[True], cells[1:] != cells[:-1]])] if len(cells) else cells

    def offset(self, di: int, dj: int) -> int:
        """Key difference of the cell ``di`` columns and ``dj`` rows away."""
        return di * self.width + dj

    def neighbours(
        self, cells: np.ndarray, columns: range = range(-2, 3), rows: range = range(-2, 3)
    ) -> Iterator[tuple[int, int, np.ndarray]]:
        """``(di, dj, found)`` for each offset of ``columns`` x ``rows``: the index of the
        cell ``di`` columns and ``dj`` rows from each of ``cells``, -1 where none holds a
        point. One binary search per column: the keys of a column's cells are consecutive
        integers, so each row's cell is the next key of the sorted keys or absent; or one
        look-up in :attr:`table` per offset when the grid has one."""
        if self.table is not None:
            base = self.keys[cells]
            for di in columns:
                for dj in rows:
                    yield di, dj, self.table[base + self.offset(di, dj)]
            return
        keys = np.append(self.keys, np.iinfo(np.int64).max)  # a sentinel past the end
        for di in columns:
            base = self.keys[cells] + self.offset(di, rows[0])
            at = np.searchsorted(keys, base)
            for dj in rows:
                hit = keys[at] == base + (dj - rows[0])
                yield di, dj, np.where(hit, at, -1)
                at += hit

    def members(self, cells: np.ndarray) -> np.ndarray:
        """Indices (in cell order) of the points of ``cells``."""
        return _ranges(self.starts[cells], self.counts[cells])

    def block_sum(self, cells: np.ndarray, values: np.ndarray) -> np.ndarray:
        """The sum of ``values`` (one per cell) over the 5 x 5 block around each of ``cells``
        (parts of ``cells`` on every core)."""

        def part(which: slice) -> np.ndarray:
            total = np.zeros(len(cells[which]), dtype=values.dtype)
            for _, _, found in self.neighbours(cells[which]):
                total += np.where(found >= 0, values[found], 0)
            return total

        return np.concatenate(map_parts(part, len(cells), min_part=_CELLS_PART))

    def block(self, cells: np.ndarray) -> np.ndarray:
        """The occupied cells of the 5 x 5 blocks around ``cells``, each once (parts of
        ``cells`` on every core)."""

        def part(which: slice) -> np.ndarray:
            near = np.zeros(len(self.keys), dtype=bool)
            for _, _, found in self.neighbours(cells[which]):
                near[found[found >= 0]] = True
            return near

        return np.flatnonzero(
            np.logical_or.reduce(map_parts(part, len(cells), min_part=_CELLS_PART))
        )


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + k) for s, k in zip(starts, lengths)])``, vectorised."""
    total = int(lengths.sum())
    shift = starts - np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return np.repeat(shift, lengths) + np.arange(total)


def _cell_side(scale: float, eps: float) -> float:
    """A cell width whose diagonal stays within ``eps`` after the rounding of the cell
    arithmetic (a few units in the last place of coordinates of magnitude up to ``scale``)
    and of the squared distance (relative 1e-9)."""
    side = eps / math.sqrt(2) * (1 - 1e-9) - 16 * float(np.spacing(scale))
    if not side > 0:
        msg = f"eps_m {eps:g} is too small for coordinates of magnitude {scale:g}"
        raise ParameterError(msg)
    return side


def _cells(xy: np.ndarray, eps: float) -> tuple[_Cells, np.ndarray]:
    """The points sorted by cell, and the sort order."""
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    side = _cell_side(max(abs(float(lo.min())), abs(float(hi.max()))), eps)
    # floor is monotonic: the largest row is that of the largest y
    width = math.floor((float(hi[1]) - lo[1]) / side) + 5  # ±2 rows never wrap
    key = np.empty(len(xy), dtype=np.int64)

    def fill(which: slice) -> None:  # one float temporary per part: memory is the budget
        part = xy[which, 0] - lo[0]
        part /= side
        column = np.floor(part, out=part).astype(np.int64)
        part = np.subtract(xy[which, 1], lo[1], out=part)
        part /= side
        column += 2
        column *= width
        column += np.floor(part, out=part).astype(np.int64)
        column += 2
        key[which] = column

    map_parts(fill, len(xy), min_part=_CELLS_PART)
    order = stable_order(key)
    key = key[order]
    first = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    counts = np.diff(np.append(first, len(key)))
    cells = _Cells(
        xy=take_rows(np.ascontiguousarray(xy), order),
        keys=key[first],
        starts=first,
        counts=counts,
        width=width,
        origin=lo - 2 * side,
        side=side,
    )
    return cells, order


def _core_points(cells: _Cells, eps: float, min_samples: int) -> np.ndarray:
    """Whether each point (in cell order) is a core point."""
    dense = cells.counts >= min_samples
    core = np.repeat(dense, cells.counts)
    sparse = np.flatnonzero(~dense)
    sparse = sparse[cells.block_sum(sparse, cells.counts) >= min_samples]  # others: no core
    if not len(sparse):
        return core
    queried = cells.members(sparse)
    candidates = cells.members(cells.block(sparse))
    tree = cKDTree(take_rows(cells.xy, candidates))
    del candidates
    if min_samples > _KTH_SAMPLES:  # a heap of many neighbours costs more than a count
        count = tree.query_ball_point(
            take_rows(cells.xy, queried), eps, return_length=True, workers=THREADS
        )
        core[queried] = count >= min_samples
        return core
    # the distance to the min_samples-th nearest point decides, but near eps, where the
    # rounding of a distance could differ from the count's, the neighbours are counted
    kth, _ = tree.query(
        take_rows(cells.xy, queried),
        k=[min_samples],
        distance_upper_bound=eps * (1 + 1e-9),
        workers=THREADS,
    )
    kth = kth[:, 0]
    core[queried] = kth < eps * (1 - 1e-9)
    close = np.flatnonzero(~core[queried] & (kth <= eps * (1 + 1e-9)))
    if len(close):
        count = tree.query_ball_point(take_rows(cells.xy, queried[close]), eps, return_length=True)
        core[queried[close]] = count >= min_samples
    return core


def _outermost(cells: _Cells, core: np.ndarray) -> np.ndarray:
    """For each cell and each of :data:`_DIRECTIONS`, the index of the core point furthest
    that way (``(n_cells, 8)``; meaningless for cells without a core point). Read a
    whole number of cells at a time, about :data:`_OUTLINE_CHUNK` points, the chunks on
    every core (:mod:`geo._threads`)."""
    index = np.int32 if len(cells.xy) < 2**31 else np.int64
    out = np.zeros((len(cells.keys), len(_DIRECTIONS)), dtype=index)
    bounds = np.searchsorted(cells.starts, np.arange(0, len(cells.xy), _OUTLINE_CHUNK))
    bounds = np.append(np.unique(bounds), len(cells.keys))

    def chunk(c0: int, c1: int) -> None:
        p0 = int(cells.starts[c0])
        p1 = int(cells.starts[c1]) if c1 < len(cells.keys) else len(cells.xy)
        xy, mask = cells.xy[p0:p1], ~core[p0:p1]
        cell_of = cells.cell_of[p0:p1] - c0
        starts = cells.starts[c0:c1] - p0
        for k, (ux, uy) in enumerate(_DIRECTIONS[:4]):
            along = xy[:, 0] * ux + xy[:, 1] * uy
            for column in (k, k + 4):
                if column > k:
                    along = -along
                along[mask] = -np.inf
                top = np.maximum.reduceat(along, starts)
                hits = np.flatnonzero(along == top[cell_of])
                first = np.concatenate([[True], cell_of[hits][1:] != cell_of[hits][:-1]])
                out[c0 + cell_of[hits[first]], column] = p0 + hits[first]

    pool_map(lambda pair: chunk(*pair), list(itertools.pairwise(bounds.tolist())))
    return out


def _within(xy: np.ndarray, i: np.ndarray, j: np.ndarray, eps: float) -> np.ndarray:
    """Whether points ``i`` and ``j`` are within ``eps`` (``dx*dx + dy*dy <= eps*eps``)."""
    z = xy.view(np.complex128).reshape(-1)
    d = z[i] - z[j]  # componentwise, as dx and dy
    dx, dy = d.real, d.imag
    return dx * dx + dy * dy <= eps * eps


def _facing(
    cells: _Cells, outer: np.ndarray, a: np.ndarray, b: np.ndarray, di: int, dj: int, eps: float
) -> np.ndarray:
    """Whether a pair of the outermost core points of cells ``a`` and ``b`` (``b`` lies
    ``(di, dj)`` from ``a``) facing each other are within ``eps``: a sure join, tried
    before the exact test."""
    k = round(math.atan2(dj, di) / (math.pi / 4)) % 8
    joined = _within(cells.xy, outer[a, k], outer[b, (k + 4) % 8], eps)
    for ka in (k - 1, k, k + 1):
        for kb in (k + 3, k + 4, k + 5):
            rest = np.flatnonzero(~joined)
            if not len(rest):
                return joined
            ia, ib = outer[a[rest], ka % 8], outer[b[rest], kb % 8]
            joined[rest] = _within(cells.xy, ia, ib, eps)
    return joined


def _closest_within(
    cells: _Cells,
    core_idx: np.ndarray,
    core_start: np.ndarray,
    n_core: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    eps: float,
) -> np.ndarray:
    """Whether some core point of cell ``a`` lies within ``eps`` of one of cell ``b``, for
    each pair: every pair of their core points for small cells, in batches of at most
    :data:`_PAIRS_PER_BATCH` pairs; a k-d tree over one cell's core points for large ones."""
    joined = np.zeros(len(a), dtype=bool)
    size = n_core[a] * n_core[b]
    small = np.flatnonzero(size <= _TREE_PAIRS)
    cumulative = np.cumsum(size[small])
    starts = np.searchsorted(
        cumulative, np.arange(0, cumulative[-1] if len(small) else 0, _PAIRS_PER_BATCH)
    )
    edges = np.append(starts, len(small))
    for lo, hi in itertools.pairwise(edges):
        part = small[lo:hi]
        pa, pb, k = a[part], b[part], size[part]
        pair = np.repeat(np.arange(len(part)), k)
        t = np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k)
        i = core_idx[core_start[pa][pair] + t // n_core[pb][pair]]
        j = core_idx[core_start[pb][pair] + t % n_core[pb][pair]]
        hit = _within(cells.xy, i, j, eps)
        joined[part] = np.bincount(pair[hit], minlength=len(part)) > 0
    for p in np.flatnonzero(size > _TREE_PAIRS):
        pts_a = cells.xy[core_idx[core_start[a[p]] : core_start[a[p]] + n_core[a[p]]]]
        pts_b = cells.xy[core_idx[core_start[b[p]] : core_start[b[p]] + n_core[b[p]]]]
        _, nearest = cKDTree(pts_b).query(pts_a, distance_upper_bound=eps * (1 + 1e-9))
        found = nearest < len(pts_b)
        dx = pts_a[found, 0] - pts_b[nearest[found], 0]
        dy = pts_a[found, 1] - pts_b[nearest[found], 1]
        joined[p] = bool(np.any(dx * dx + dy * dy <= eps * eps))
    return joined


def _merge(comp: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The components of ``comp`` (a label per node) once nodes ``a`` and ``b`` are joined."""
    n = len(comp)
    graph = coo_matrix((np.ones(len(a)), (comp[a], comp[b])), shape=(n, n))
    _, merged = connected_components(graph, directed=False)
    return merged[comp].astype(np.int64)


def _core_clusters(cells: _Cells, core: np.ndarray, eps: float) -> np.ndarray:
    """The cluster of each cell holding a core point (a component label; -1 for the
    other cells). Core points are sorted first within each cell."""
    n_core = np.add.reduceat(core.astype(np.int64), cells.starts)
    core_idx = np.flatnonzero(core).astype(cells.cell_of.dtype)  # each cell's in one slice
    core_start = np.cumsum(n_core) - n_core
    has_core = n_core > 0
    comp = np.arange(len(cells.keys), dtype=np.int64)
    outer = _outermost(cells, core)
    pending: list[tuple[np.ndarray, np.ndarray]] = []
    with_core = np.flatnonzero(has_core)
    for di, dj, b in cells.neighbours(with_core, range(3)):
        if (di, dj) not in _FORWARD:
            continue
        a = with_core
        keep = b >= 0
        a, b = a[keep], b[keep]
        keep = has_core[b]
        a, b = a[keep], b[keep]
        keep = comp[a] != comp[b]
        a, b = a[keep], b[keep]
        sure = _facing(cells, outer, a, b, di, dj, eps)
        comp = _merge(comp, a[sure], b[sure])
        pending.append((a[~sure], b[~sure]))
    del outer
    a = np.concatenate([p[0] for p in pending])
    b = np.concatenate([p[1] for p in pending])
    del pending
    for limit in (_TREE_PAIRS, None):  # cheap pairs first: they often join the large ones
        open_ = comp[a] != comp[b]
        if limit is not None:
            open_ &= n_core[a] * n_core[b] <= limit
        pa, pb = a[open_], b[open_]
        joined = _closest_within(cells, core_idx, core_start, n_core, pa, pb, eps)
        comp = _merge(comp, pa[joined], pb[joined])
    return np.where(has_core, comp, -1)


def _border(cells: _Cells, core: np.ndarray, point_cluster: np.ndarray, eps: float) -> None:
    """Give each non-core point within ``eps`` of a core point a cluster (in place): its
    own cell's, when the cell has core points (they are all within ``eps``), else that of
    its nearest core point."""
    cell_cluster = np.maximum.reduceat(point_cluster, cells.starts)
    point_cluster[:] = np.repeat(cell_cluster, cells.counts)
    loose = np.flatnonzero(point_cluster < 0)
    if not len(loose) or not core.any():
        return
    lonely = cells.cells_of(loose)
    lonely = lonely[cells.block_sum(lonely, (cell_cluster >= 0).astype(np.int64)) > 0]
    loose = cells.members(lonely)  # the points of the other cells are noise
    near = cells.members(cells.block(lonely))
    near = near[core[near]]
    if not len(near):
        return
    tree = cKDTree(take_rows(cells.xy, near))
    _, nearest = tree.query(
        take_rows(cells.xy, loose), distance_upper_bound=eps * (1 + 1e-9), workers=-1
    )
    found = nearest < len(near)
    loose, nearest = loose[found], near[nearest[found]]
    close = _within(cells.xy, loose, nearest, eps)
    point_cluster[loose[close]] = point_cluster[nearest[close]]


def _outline(cells: _Cells, cluster: np.ndarray) -> np.ndarray:
    """Whether each point (in cell order) may be a hull vertex of its cluster: clustered,
    not in a cell whose four diagonal neighbours hold points of its cluster (the hull of
    four such points holds the whole cell), and not strictly inside the octagon of the
    outermost points of its cell (a cell of at least three points, all of one cluster; the
    points of other cells are kept)."""
    member = cluster >= 0
    outer = _outermost(cells, member)
    low = np.minimum.reduceat(np.where(member, cluster, np.iinfo(np.int64).max), cells.starts)
    one = np.where(low == np.maximum.reduceat(cluster, cells.starts), low, -1)  # one cluster
    del low
    inner = one >= 0
    with_one = np.flatnonzero(inner)
    for di, dj, found in cells.neighbours(with_one, range(-1, 2), range(-1, 2)):
        if di and dj:
            inner[with_one] &= (found >= 0) & (one[found] == one[with_one])
    del with_one
    tested = (one >= 0) & ~inner & (cells.counts >= 3)
    keep = member & ~np.repeat(inner, cells.counts)
    del one, inner
    for start in range(0, len(cluster), _OUTLINE_CHUNK):
        points = start + np.flatnonzero(tested[cells.cell_of[start : start + _OUTLINE_CHUNK]])
        if not len(points):
            continue
        cell = cells.cell_of[points]
        new = np.concatenate([[True], cell[1:] != cell[:-1]])  # sorted by cell
        own, at = cell[new], np.cumsum(new) - 1
        pxy = take_rows(cells.xy, points)
        px, py = pxy[:, 0], pxy[:, 1]
        inside = np.ones(len(points), dtype=bool)
        edges = np.zeros(len(points), dtype=bool)
        for k in range(len(_DIRECTIONS)):
            a = take_rows(cells.xy, outer[own, k])
            b = take_rows(cells.xy, outer[own, (k + 1) % len(_DIRECTIONS)])
            ex, ey = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
            length = np.hypot(ex, ey)
            # the edge's line, per cell: cross = ex * y - ey * x - offset
            offset = ex * a[:, 1] - ey * a[:, 0]
            cross = ex[at] * py - ey[at] * px - offset[at]
            solid = length[at] > 0
            inside &= ~solid | (cross > 1e-6 * length[at])  # 1 µm inside the edge
            edges |= solid
        keep[points[inside & edges]] = False
    return keep


def dbscan_grid(xy: np.ndarray, *, eps: float, min_samples: int) -> GridDBSCAN:
    """DBSCAN of 2-D points, with scikit-learn's cores and noise, in O(n) memory.

    Parameters
    ----------
    xy
        ``(n, 2)`` finite coordinates in metres (a metric CRS).
    eps
        Neighbourhood radius, metres: points at most ``eps`` apart are neighbours.
    min_samples
        Neighbours within ``eps``, the point itself included, that make a core point.

    Returns
    -------
    GridDBSCAN
        The cluster of each point (largest first) and which points are cores.

    Raises
    ------
    ParameterError
        ``eps`` or ``min_samples`` is not positive, or ``eps`` is below the coordinates'
        precision.

    Examples
    --------
    >>> pts = np.array([[0.0, 0.0], [3.0, 0.0], [6.0, 0.0], [50.0, 0.0], [52.0, 0.0]])
    >>> found = dbscan_grid(pts, eps=3.0, min_samples=2)
    >>> found.labels.tolist(), found.core.tolist()
    ([0, 0, 0, 1, 1], [True, True, True, True, True])
    >>> dbscan_grid(pts, eps=3.0, min_samples=3).labels.tolist()
    [0, 0, 0, -1, -1]
    """
    if not (math.isfinite(eps) and eps > 0):
        msg = f"eps_m must be a positive number, not {eps}"
        raise ParameterError(msg)
    if int(min_samples) != min_samples or min_samples < 1:
        msg = f"min_samples must be a positive integer, not {min_samples}"
        raise ParameterError(msg)
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    n = len(xy)
    if n == 0:
        none = np.zeros(0, dtype=bool)
        return GridDBSCAN(labels=np.zeros(0, dtype=np.int64), core=none, outline=none)
    cells, order = _cells(xy, eps)
    if n < 2**31:
        order = order.astype(np.int32)
    core = _core_points(cells, eps, int(min_samples))
    cluster_of_cell = _core_clusters(cells, core, eps)
    cluster_of_cell = cluster_of_cell.astype(cells.cell_of.dtype)
    point_cluster = np.where(core, np.repeat(cluster_of_cell, cells.counts), -1)
    del cluster_of_cell
    _border(cells, core, point_cluster, eps)
    labels = _by_size(point_cluster)
    outline = _outline(cells, labels)
    out_labels = np.empty(n, dtype=np.int64)
    out_core = np.empty(n, dtype=bool)
    out_outline = np.empty(n, dtype=bool)
    out_labels[order] = labels
    out_core[order] = core
    out_outline[order] = outline
    return GridDBSCAN(labels=out_labels, core=out_core, outline=out_outline)


def _by_size(cluster: np.ndarray) -> np.ndarray:
    """Clusters renumbered 0, 1, ... by size, largest first (ties: lower label first);
    -1 stays -1."""
    member = cluster >= 0
    sizes = np.bincount(cluster[member])
    used = np.flatnonzero(sizes)
    rank = np.full(len(sizes), -1, dtype=cluster.dtype)
    rank[used[np.argsort(-sizes[used], kind="stable")]] = np.arange(len(used))
    out = np.full(len(cluster), -1, dtype=cluster.dtype)
    out[member] = rank[cluster[member]]
    return out
