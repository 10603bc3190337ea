"""Charts of a `make bench` result: how many times faster litdata is than each peer, and how close each library
gets to the raw limit of the machine.

`python benchmarks/charts.py [RESULT.json]` redraws them from a results file (default: the newest one);
`bench.py` calls `write_charts` after every run. Needs matplotlib (`pip install -e ".[bench]"`).
"""

from __future__ import annotations

import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
DOCS_IMG = os.path.join(HERE, "..", "docs", "img")
OURS, RAW = "ours", "raw"
PEERS = ("LitData", "Mosaic", "WebDataset")
COLORS = {"ours": "#6a3d9a", "LitData": "#e15759", "Mosaic": "#4e79a7", "WebDataset": "#59a14f"}
RATIO_CHART, LIMIT_CHART = "ratios.png", "vs-raw-limit.png"


def _best(row: dict, name: str) -> float | None:
    values = row["values"].get(name)
    if not values:
        return None
    return max(values) if row["higher_is_better"] else min(values)


def _throughput_rows(result: dict) -> list[dict]:
    return [row for row in result["rows"] if row["unit"] == "items/s" and _best(row, OURS)]


def ratio_chart(result: dict, path: str) -> None:
    """Horizontal bars per workload: litdata's throughput divided by each peer's (log scale, 1x marked)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = _throughput_rows(result)
    peers = [p for p in PEERS if any(_best(row, p) for row in rows)]
    height = 0.8 / max(len(peers), 1)
    fig, ax = plt.subplots(figsize=(10, 0.55 * len(rows) + 2.0))
    for p_index, peer in enumerate(peers):
        ys, ratios = [], []
        for r_index, row in enumerate(rows):
            peer_value = _best(row, peer)
            if peer_value:
                ys.append(r_index + (p_index - (len(peers) - 1) / 2) * height)
                ratios.append(_best(row, OURS) / peer_value)
        ax.barh(ys, ratios, height=height, color=COLORS[peer], label=f"vs {peer}")
        for y, value in zip(ys, ratios):
            ax.text(value * 1.05, y, f"{value:.1f}×", va="center", fontsize=7)
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_xscale("log")
    ax.set_yticks(range(len(rows)), [row["label"].strip() for row in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("litdata throughput ÷ peer throughput (log scale; right of the line = litdata faster)")
    ax.set_title(f"litdata vs peers, items/s, best of {result['repeat']} ({result['date'][:16]})")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=4, fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def limit_chart(result: dict, path: str) -> None:
    """Per streaming workload, each library's throughput as a fraction of the raw limit (page cache, memcpy...)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [row for row in _throughput_rows(result) if _best(row, RAW) and not row["label"].startswith("optimize")]
    names = [OURS, *[p for p in PEERS if any(_best(row, p) for row in rows)]]
    height = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(10, 0.55 * len(rows) + 2.0))
    for n_index, name in enumerate(names):
        ys, fractions = [], []
        for r_index, row in enumerate(rows):
            value = _best(row, name)
            if value:
                ys.append(r_index + (n_index - (len(names) - 1) / 2) * height)
                fractions.append(value / _best(row, RAW))
        ax.barh(ys, fractions, height=height, color=COLORS[name], label="litdata" if name == OURS else name)
    ax.axvline(1.0, color="black", linewidth=1, linestyle="--")
    ax.set_xscale("log")
    ax.set_yticks(range(len(rows)), [row["label"].strip() for row in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("throughput ÷ raw limit of the same bytes (log scale; 1 = the machine's limit)")
    ax.set_title("How close each library gets to the raw limit")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=4, fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_charts(result: dict, folders: tuple[str, ...] = (RESULTS, DOCS_IMG)) -> list[str]:
    """Draw both charts of ``result`` into each of ``folders`` (the results and the docs); returns their paths."""
    paths = []
    for folder in folders:
        os.makedirs(folder, exist_ok=True)
        paths += [os.path.join(folder, RATIO_CHART), os.path.join(folder, LIMIT_CHART)]
        ratio_chart(result, paths[-2])
        limit_chart(result, paths[-1])
    return paths


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else max(glob.glob(os.path.join(RESULTS, "*.json")))
    with open(path) as f:
        result = json.load(f)
    for chart in write_charts(result):
        print("wrote", os.path.relpath(chart))


if __name__ == "__main__":
    main()
