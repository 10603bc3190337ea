"""Train with Lightning on a streamed dataset, and resume exactly where a run stopped.

The `StreamingDataLoader` state (epoch, samples served, shuffle seed, ...) must travel in the checkpoint. Lightning
saves it by itself only for mid-epoch checkpoints and restores it only when it resumes mid-epoch; after an
end-of-epoch checkpoint a fresh loader would restart at epoch 1 and replay the first epoch's order. The data module
below therefore saves the loader state in its own ``state_dict`` and hands it to the loader it builds on resume.

    python examples/lightning_datamodule.py --data /tmp/regression --steps 30
    python examples/lightning_datamodule.py --data /tmp/regression --steps 60 --resume /tmp/regression-ckpt/last.ckpt
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import lightning as L
import torch

from litdata import StreamingDataLoader, StreamingDataset


class StreamingDataModule(L.LightningDataModule):
    """Serve an optimized dataset with a `StreamingDataLoader` whose state is part of every checkpoint."""

    def __init__(self, data_dir: str, batch_size: int = 8, num_workers: int = 0, shuffle: bool = True) -> None:
        super().__init__()
        self.data_dir = data_dir
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.shuffle = shuffle
        self._loader: StreamingDataLoader | None = None
        self._loader_state: dict[str, Any] | None = None

    def train_dataloader(self) -> StreamingDataLoader:
        dataset = StreamingDataset(self.data_dir, shuffle=self.shuffle)
        self._loader = StreamingDataLoader(dataset, batch_size=self.batch_size, num_workers=self.num_workers)
        if self._loader_state is not None:
            self._loader.load_state_dict(self._loader_state)
            self._loader_state = None
        return self._loader

    def state_dict(self) -> dict[str, Any]:
        return {"train_loader": self._loader.state_dict()} if self._loader is not None else {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._loader_state = state_dict.get("train_loader")


class Regressor(L.LightningModule):
    """A linear model fitting ``y`` from ``x``; it remembers the ``index`` of every sample it trained on."""

    def __init__(self, features: int = 4, lr: float = 0.05) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.linear = torch.nn.Linear(features, 1)
        self.seen: list[int] = []

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        self.seen.extend(batch["index"].tolist())
        loss = torch.nn.functional.mse_loss(self.linear(batch["x"]).squeeze(-1), batch["y"])
        self.log("loss", loss, prog_bar=True)
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


def make_sample(index: int, features: int = 4) -> dict[str, Any]:
    """A noisy linear target ``y = x @ w`` with a fixed ``w``; the same index always gives the same sample."""
    generator = torch.Generator().manual_seed(index)
    x = torch.randn(features, generator=generator)
    weights = torch.arange(1, features + 1, dtype=torch.float32)
    return {"index": index, "x": x, "y": (x @ weights + 0.01 * torch.randn(1, generator=generator)).squeeze(0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="optimized dataset folder (created when missing)")
    parser.add_argument("--samples", type=int, default=512)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--num-workers", type=int, default=0)
    parser.add_argument("--resume", help="checkpoint to resume from")
    args = parser.parse_args()

    if not os.path.exists(os.path.join(args.data, "index.json")):
        from litdata import optimize

        optimize(make_sample, list(range(args.samples)), args.data, chunk_size=64, num_workers=1)
    checkpoints = L.pytorch.callbacks.ModelCheckpoint(
        dirpath=f"{args.data.rstrip('/')}-ckpt", every_n_train_steps=10, save_last=True, save_top_k=-1
    )
    trainer = L.Trainer(max_steps=args.steps, accelerator="cpu", callbacks=[checkpoints], logger=False)
    trainer.fit(Regressor(), StreamingDataModule(args.data, num_workers=args.num_workers), ckpt_path=args.resume)


if __name__ == "__main__":
    main()
