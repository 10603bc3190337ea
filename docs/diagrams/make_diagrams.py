"""Draw the figures of docs/concepts/order.md from litdata's own assignment code (SVG, no plotting library).

Run `python docs/diagrams/make_diagrams.py` after changing how samples are assigned or shuffled; a test checks that
the checked-in figures match what this script draws.
"""

from __future__ import annotations

import sys
from pathlib import Path

from litdata.streaming.shuffle import FullShuffle, IndexedChunks, NoShuffle

OUT = Path(__file__).resolve().parent.parent / "img"
CHUNKS, ITEMS_PER_CHUNK = 6, 8
WORLD, WORKERS, BATCH = 2, 2, 4
PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7"]
CELL, GAP, LABEL_W, ROW_H = 26, 3, 150, 34


def _intervals() -> list[tuple[int, int, int, int]]:
    return [
        (c * ITEMS_PER_CHUNK, c * ITEMS_PER_CHUNK, (c + 1) * ITEMS_PER_CHUNK, (c + 1) * ITEMS_PER_CHUNK)
        for c in range(CHUNKS)
    ]


def _sequences(shuffle_cls: type, epoch: int) -> tuple[list[list[int]], list[list[int]]]:
    shuffler = shuffle_cls(IndexedChunks(_intervals(), [1] * CHUNKS), seed=42, drop_last=True)
    items, chunks = shuffler.worker_sequences(WORLD, 1, WORKERS, BATCH, epoch)
    return [list(map(int, row)) for row in items], [list(map(int, row)) for row in chunks]


def _svg(width: int, height: int, body: list[str]) -> str:
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" font-size="12">',
            f'<rect width="{width}" height="{height}" fill="white"/>',
            *body,
            "</svg>\n",
        ]
    )


def _cell(x: float, y: float, item: int, chunk: int, faded: bool = False) -> str:
    opacity = "0.25" if faded else "1"
    return (
        f'<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" rx="3" fill="{PALETTE[chunk % len(PALETTE)]}" '
        f'fill-opacity="{opacity}"/>'
        f'<text x="{x + CELL / 2}" y="{y + CELL / 2 + 4}" text-anchor="middle" fill="white">{item}</text>'
    )


def _worker_rows(title: str, items: list[list[int]], chunks: list[list[int]], seen: int | None = None) -> str:
    """One row per (rank, worker): its items in reading order, coloured by chunk; batches separated by gaps."""
    longest = max(len(row) for row in items)
    width = LABEL_W + longest * (CELL + GAP) + (longest // BATCH) * 8 + 20
    height = 40 + len(items) * ROW_H + 10
    body = [f'<text x="10" y="22" font-size="14" font-weight="bold">{title}</text>']
    for g, (row, row_chunks) in enumerate(zip(items, chunks)):
        rank, worker = divmod(g, WORKERS)
        y = 36 + g * ROW_H
        body.append(f'<text x="10" y="{y + CELL / 2 + 4}">rank {rank} · worker {worker}</text>')
        for position, (item, chunk) in enumerate(zip(row, row_chunks)):
            x = LABEL_W + position * (CELL + GAP) + (position // BATCH) * 8
            faded = seen is not None and position < seen
            body.append(_cell(x, y, item, chunk, faded))
    return _svg(width, height, body)


def figures() -> dict[str, str]:
    """File name -> SVG text of every figure."""
    no_shuffle = _sequences(NoShuffle, 1)
    epoch1, epoch2 = _sequences(FullShuffle, 1), _sequences(FullShuffle, 2)
    return {
        "order-no-shuffle.svg": _worker_rows("shuffle=False: each worker reads whole chunks in order", *no_shuffle),
        "order-shuffle-epoch1.svg": _worker_rows("shuffle=True, epoch 1: chunks and items permuted", *epoch1),
        "order-shuffle-epoch2.svg": _worker_rows("shuffle=True, epoch 2: another permutation", *epoch2),
        "order-resume.svg": _worker_rows(
            "resume after 2 batches per worker: faded items were seen, the rest follow", *epoch1, seen=2 * BATCH
        ),
    }


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in figures().items():
        (OUT / name).write_text(text, encoding="utf-8")
        print("wrote", OUT / name, file=sys.stderr)


if __name__ == "__main__":
    main()
