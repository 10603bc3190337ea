"""Lightning: a run stopped mid-epoch or between epochs resumes from its checkpoint on exactly the unseen samples
(LitData issue #775: the loader state must travel in the checkpoint)."""

import importlib.util
import os

import lightning as L
import pytest

from helpers import build_dataset

_EXAMPLE = os.path.join(os.path.dirname(__file__), os.pardir, "examples", "lightning_datamodule.py")


def _load_example():
    spec = importlib.util.spec_from_file_location("lightning_datamodule", _EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load_example()


class _Preempted(Exception):
    pass


class _StopAfter(L.Callback):
    """Crash the run after ``batches`` training batches (a preemption)."""

    def __init__(self, batches: int) -> None:
        self.batches = batches

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if trainer.global_step >= self.batches:
            raise _Preempted


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return build_dataset(tmp_path_factory.mktemp("lightning") / "data", 48, chunk_size=8, make=example.make_sample)


def trainer(tmp_path, **kwargs):
    return L.Trainer(
        accelerator="cpu",
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=str(tmp_path),
        **kwargs,
    )


def fit(tmp_path, data, num_workers, ckpt_path=None, **kwargs):
    model = example.Regressor()
    datamodule = example.StreamingDataModule(data, batch_size=4, num_workers=num_workers)
    trainer(tmp_path, **kwargs).fit(model, datamodule, ckpt_path=ckpt_path)
    return model


@pytest.mark.parametrize("num_workers", [0, 2])
def test_a_run_preempted_mid_epoch_resumes_on_the_samples_it_had_not_seen(tmp_path, data, num_workers):
    full = fit(tmp_path / "full", data, num_workers, max_epochs=2).seen
    checkpoints = L.pytorch.callbacks.ModelCheckpoint(dirpath=tmp_path / "ckpt", every_n_train_steps=5, save_top_k=-1)
    model = example.Regressor()
    datamodule = example.StreamingDataModule(data, batch_size=4, num_workers=num_workers)
    with pytest.raises(_Preempted):
        trainer(tmp_path, max_epochs=2, callbacks=[checkpoints, _StopAfter(7)]).fit(model, datamodule)
    ckpt_path = str(tmp_path / "ckpt" / "epoch=0-step=5.ckpt")
    checkpoints = L.pytorch.callbacks.ModelCheckpoint(dirpath=tmp_path / "ckpt2", every_n_train_steps=5, save_top_k=-1)
    resumed = fit(tmp_path, data, num_workers, ckpt_path=ckpt_path, max_epochs=2, callbacks=[checkpoints]).seen
    assert model.seen[:20] + resumed == full
    assert len(resumed) == 2 * 48 - 20


def test_a_run_stopped_between_epochs_resumes_with_the_next_epoch_order(tmp_path, data):
    full = fit(tmp_path / "full", data, 0, max_epochs=3).seen
    run = trainer(tmp_path, max_epochs=1)
    model = example.Regressor()
    run.fit(model, example.StreamingDataModule(data, batch_size=4))
    run.save_checkpoint(tmp_path / "end.ckpt")
    resumed = fit(tmp_path, data, 0, ckpt_path=str(tmp_path / "end.ckpt"), max_epochs=3).seen
    assert model.seen + resumed == full
    assert full[48:96] != full[:48]  # every epoch is reshuffled, so a replayed first epoch would show
