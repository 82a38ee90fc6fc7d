"""skorch training machinery behind the autoencoder estimators (private).

The public estimators own one of these nets as ``net_``. Compared with a stock
:class:`skorch.NeuralNet` they train on an in-memory float32 tensor of windows with the
input batch as the target, draw shuffling from a seeded local generator, hold back a
validation split only when asked (the *last* rows, in time order), and read loss values
back from the device once per epoch rather than once per batch.
"""

import math

import torch
from skorch import NeuralNet
from skorch.utils import to_device

from ._modules import reset_parameters


class _WindowDataset(torch.utils.data.Dataset):
    """A float32 tensor of windows ``(n, time, channels)`` already on the training device."""

    def __init__(self, data):
        self.data = data

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        return self.data[i], self.data[i]


class _BatchIterator:
    """Mini-batches ``(X, X)`` sliced from a :class:`_WindowDataset`.

    Indexing the whole tensor with a permutation is much cheaper than a DataLoader
    collating one window at a time, which dominated small models such as USAD.
    """

    def __init__(self, dataset, batch_size, shuffle=False, generator=None, drop_last=False):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator
        self.drop_last = drop_last

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self):
        data = self.dataset.data
        n, size = len(data), self.batch_size
        stop = n - n % size if self.drop_last else n
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator)
            if data.device.type != "cpu":
                order = order.to(data.device)
            for start in range(0, stop, size):
                batch = data.index_select(0, order[start : start + size])
                yield batch, batch
        else:
            for start in range(0, stop, size):
                batch = data[start : start + size]
                yield batch, batch


class _TailSplit:
    """skorch ``train_split``: the last ``fraction`` of the rows validate (time order)."""

    def __init__(self, fraction):
        self.fraction = fraction

    def __call__(self, dataset, y=None, **kwargs):
        data = dataset.data
        n_valid = max(1, int(round(self.fraction * len(data))))
        if n_valid >= len(data):
            raise ValueError(
                f"validation_fraction={self.fraction} leaves no training windows out of "
                f"{len(data)}; use more windows or a smaller validation_fraction."
            )
        return _WindowDataset(data[:-n_valid]), _WindowDataset(data[-n_valid:])


class _AutoencoderNet(NeuralNet):
    """NeuralNet reconstructing its input; see the module docstring."""

    # generators live here only while the owning estimator's fit runs
    init_generator_ = None
    train_generator_ = None

    def initialize_module(self):
        super().initialize_module()
        if self.init_generator_ is not None:
            reset_parameters(self.module_, self.init_generator_)
        return self

    def get_dataset(self, X, y=None):
        return X if isinstance(X, _WindowDataset) else _WindowDataset(X)

    def get_iterator(self, dataset, training=False):
        kwargs = self.get_params_for("iterator_train" if training else "iterator_valid")
        kwargs.setdefault("batch_size", self.batch_size)
        if kwargs["batch_size"] == -1:
            kwargs["batch_size"] = len(dataset)
        if training:
            kwargs.setdefault("shuffle", True)
            kwargs.setdefault("generator", self.train_generator_)
        iterator = self.iterator_train if training else self.iterator_valid
        return iterator(dataset, **kwargs)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        return self.criterion_(y_pred, y_true)

    def infer(self, x, **fit_params):
        return self.module_(to_device(x, self.device), **fit_params)

    def _set_training(self, training=True):
        # module.train() walks every submodule; once per phase change is enough
        module = self.module_
        if module.training != training:
            module.train(training)

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if iterator is None:
            return
        batches = self.history[-1]["batches"]
        first, n_batches = len(batches), 0
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            loss = step["loss"].detach()
            # a float per batch would sync the device every step; the progress bar
            # (verbose) shows per-batch values, so it gets them
            self.history.record_batch(prefix + "_loss", loss.item() if self.verbose else loss)
            self.history.record_batch(prefix + "_batch_size", len(batch[0]))
            self.notify("on_batch_end", batch=batch, training=training, **step)
            n_batches += 1
        _tensors_to_floats(batches[first:])
        self.history.record(prefix + "_batch_count", n_batches)


def _tensors_to_floats(records):
    """Replace the tensor values of history records by floats with one device sync."""
    slots = [(r, k) for r in records for k, v in r.items() if isinstance(v, torch.Tensor)]
    if slots:
        values = torch.stack([r[k].float() for r, k in slots]).tolist()
        for (record, key), value in zip(slots, values):
            record[key] = value


def _mse(a, b):
    return torch.mean((a - b) ** 2)


class _USADNet(_AutoencoderNet):
    """Two-phase adversarial training of Audibert et al. (KDD 2020).

    With ``n`` the 1-based epoch number, phase 1 minimises
    ``L1 = 1/n mse(W, AE1(W)) + (1 - 1/n) mse(W, AE2(AE1(W)))`` with ``optimizer_`` (encoder
    and decoder 1), then phase 2 minimises
    ``L2 = 1/n mse(W, AE2(W)) - (1 - 1/n) mse(W, AE2(AE1(W)))`` with ``optimizer2_`` (encoder
    and decoder 2), each on a fresh forward pass as in the reference code. Unlike the
    reference code, every gradient is cleared before each phase, so decoder 2 does not
    carry phase-1 gradients into its step.
    """

    def initialize_optimizer(self, triggered_directly=None):
        named = list(self.module_.named_parameters())
        for name, parts in (("optimizer_", "decoder1."), ("optimizer2_", "decoder2.")):
            params = [(k, p) for k, p in named if k.startswith(("encoder.", parts))]
            args, kwargs = self.get_params_for_optimizer("optimizer", params)
            setattr(self, name, self.optimizer(*args, **kwargs))
        return self

    def _epoch_weight(self):
        return 1.0 / max(1, len(self.history))

    def train_step(self, batch, **fit_params):
        self._set_training(True)
        x = batch[0]
        module, inv_n = self.module_, self._epoch_weight()
        opt1, opt2 = self.optimizer_, self.optimizer2_

        opt1.zero_grad(set_to_none=True)
        opt2.zero_grad(set_to_none=True)
        w1, _, w3 = module.usad_outputs(x)
        loss1 = inv_n * _mse(x, w1) + (1 - inv_n) * _mse(x, w3)
        loss1.backward()
        opt1.step()

        opt1.zero_grad(set_to_none=True)
        opt2.zero_grad(set_to_none=True)
        w1, w2, w3 = module.usad_outputs(x)
        loss2 = inv_n * _mse(x, w2) - (1 - inv_n) * _mse(x, w3)
        loss2.backward()
        opt2.step()
        self.history.record_batch("train_loss2", loss2.detach())
        return {"loss": loss1.detach(), "y_pred": w1.detach()}

    def validation_step(self, batch, **fit_params):
        # early stopping watches what `reconstruct` returns: AE1's plain error
        self._set_training(False)
        x = batch[0]
        with torch.no_grad():
            w1 = self.module_(x)
            loss = _mse(x, w1)
        return {"loss": loss, "y_pred": w1}
