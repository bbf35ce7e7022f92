"""gb.parallel, data-parallel half (lessons 11-12): the distributed sampler (torch's DistributedSampler
as the oracle), DDP's buckets (torch's own bucket assignment as the oracle), and ZeRO's memory per
device measured from simulated steps against the formulas and the table of the ZeRO paper
(Rajbhandari et al. 2020)."""
import pytest

import glassbox as gb


def _torch():
    """torch when importable (the oracle tests skip without it; the others run anyway)."""
    return pytest.importorskip("torch")


# ---- the distributed sampler ----------------------------------------------------------------------

@pytest.mark.parametrize("n,world", [(10, 3), (1, 4), (100, 8), (17, 2), (2, 5)])
def test_ranks_cover_the_data_with_equal_sizes(n, world):
    per_rank = -(-n // world)
    everything = []
    for r in range(world):
        mine = gb.parallel.distributed_sampler(n, world, r, seed=3, epoch=1)
        assert len(mine) == per_rank
        everything += mine
    assert set(everything) == set(range(n))
    assert len(everything) == per_rank * world


def test_epoch_changes_the_order():
    a = gb.parallel.distributed_sampler(50, 2, 0, seed=0, epoch=0)
    assert a == gb.parallel.distributed_sampler(50, 2, 0, seed=0, epoch=0)
    assert a != gb.parallel.distributed_sampler(50, 2, 0, seed=0, epoch=1)
    assert gb.parallel.distributed_sampler(50, 2, 0, shuffle=False) == list(range(0, 50, 2))


@pytest.mark.parametrize("n,world,drop_last", [(10, 3, False), (10, 3, True), (2, 5, False), (64, 4, False), (13, 4, True)])
def test_sampler_equals_torch_without_shuffle(n, world, drop_last):
    _torch()
    from torch.utils.data.distributed import DistributedSampler
    for r in range(world):
        theirs = list(DistributedSampler(range(n), num_replicas=world, rank=r, shuffle=False, drop_last=drop_last))
        assert gb.parallel.distributed_sampler(n, world, r, shuffle=False, drop_last=drop_last) == theirs


@pytest.mark.parametrize("seed,epoch", [(0, 0), (0, 3), (42, 1)])
def test_sampler_equals_torch_given_torchs_permutation(seed, epoch):
    # Our generator is not torch's, so we hand torch's permutation (randperm seeded with seed + epoch, as
    # DistributedSampler draws it) to our padding and striding: those must then agree exactly.
    torch = _torch()
    from torch.utils.data.distributed import DistributedSampler
    n, world = 23, 4
    g = torch.Generator()
    g.manual_seed(seed + epoch)
    order = torch.randperm(n, generator=g).tolist()
    for r in range(world):
        sampler = DistributedSampler(range(n), num_replicas=world, rank=r, shuffle=True, seed=seed)
        sampler.set_epoch(epoch)
        assert gb.parallel.distributed_sampler(n, world, r, order=order) == list(sampler)


def test_sampler_bad_input_is_an_error():
    with pytest.raises(gb.Error, match="rank"):
        gb.parallel.distributed_sampler(10, 2, 2)
    with pytest.raises(gb.Error):
        gb.parallel.distributed_sampler(0, 2, 0)


# ---- DDP buckets ------------------------------------------------------------------------------------

def _torch_buckets(sizes, first_cap, cap):
    """torch's own assignment, fed the parameters in backward (reverse) order, mapped back to our indices."""
    torch = _torch()
    import torch.distributed as dist
    if not dist.is_available() or not hasattr(dist, "_compute_bucket_assignment_by_size"):
        pytest.skip("torch.distributed without _compute_bucket_assignment_by_size")
    n = len(sizes)
    tensors = [torch.empty(s // 4) for s in reversed(sizes)]  # float32: 4 bytes each
    buckets, _ = dist._compute_bucket_assignment_by_size(tensors, [first_cap, cap], [False] * n)
    return [[n - 1 - j for j in bucket] for bucket in buckets]


@pytest.mark.parametrize("sizes,first_cap,cap", [
    ([400, 1200, 200, 8000, 40, 40, 2400], 400, 1000),
    ([4 << 20] + [3 << 20] * 10, 1 << 20, 25 << 20),
    ([32768, 512, 32768, 256, 2560, 40], 1024, 8192),   # the digits MLP
    ([100 * 4] * 30, 1000, 4000),
])
def test_buckets_equal_torch(sizes, first_cap, cap):
    assert gb.parallel.ddp_buckets(sizes, first_cap=first_cap, cap=cap) == _torch_buckets(sizes, first_cap, cap)


def test_buckets_are_in_reverse_order_and_never_split():
    sizes = [400, 1200, 200, 8000, 40, 40, 2400]
    buckets = gb.parallel.ddp_buckets(sizes, first_cap=400, cap=1000)
    flat = [p for b in buckets for p in b]
    assert flat == list(reversed(range(len(sizes))))


# ---- ZeRO memory per device ---------------------------------------------------------------------------

def _paper(psi, nd, stage, k=12):
    return [(2 + 2 + k) * psi, 2 * psi + 2 * psi + k * psi / nd, 2 * psi + (2 + k) * psi / nd, (2 + 2 + k) * psi / nd][stage]


def test_zero_memory_reproduces_the_papers_table():
    # Psi = 7.5e9, Nd = 64, K = 12: 120 GB, 31.4 GB, 16.6 GB, 1.9 GB (GB = 1e9 bytes).
    for stage, gb_expected in enumerate([120.0, 31.4, 16.6, 1.9]):
        assert gb.parallel.zero_memory(7.5e9, 64, stage) / 1e9 == pytest.approx(gb_expected, abs=0.05)


@pytest.mark.parametrize("psi,nd", [(1 << 20, 2), (1 << 20, 8), (3 * 2 ** 30, 16), (10 ** 9, 1)])
@pytest.mark.parametrize("stage", [0, 1, 2, 3])
@pytest.mark.parametrize("k", [12, 4])
def test_zero_memory_equals_the_formulas(psi, nd, stage, k):
    assert gb.parallel.zero_memory(psi, nd, stage, k=k) == pytest.approx(_paper(psi, nd, stage, k), abs=4 + k)


def test_zero_step_measures_volume_two_psi_then_three():
    psi, nd = 1 << 18, 4
    ring = (nd - 1) / nd
    volumes = [gb.parallel.zero_step(psi, nd, stage)["bytes_sent_per_rank"] / 2 for stage in range(4)]
    assert volumes[:3] == [2 * ring * psi] * 3
    assert volumes[3] == 3 * ring * psi


def test_fsdp_strategies_and_bad_input():
    assert [gb.parallel.fsdp_stage(s) for s in ["NO_SHARD", "SHARD_GRAD_OP", "FULL_SHARD"]] == [0, 2, 3]
    with pytest.raises(gb.Error, match="stage"):
        gb.parallel.zero_memory(1000, 4, 5)
    with pytest.raises(gb.Error, match="whole number"):
        gb.parallel.zero_memory(1000.5, 4, 1)
