"""Why JAX trains convolutions slowly on CPUs: one 3x3 conv layer, formulated five ways.

Pure JAX, no Keras: forward + backward (``jax.jit(jax.grad(...))``) of a 3x3 "same"
convolution followed by ReLU, batch 32, min of ``--repeats`` timed calls after a
compile call, for layer shapes of the study's CNNs. Formulations, in the same run:

- ``lax_nhwc``: ``lax.conv_general_dilated`` in NHWC, what Keras emits;
- ``lax_nchw``: the same in NCHW;
- ``im2col``: the nine shifted views concatenated, then one matmul;
- ``shifted_matmuls``: nine matmuls of shifted views, summed;
- ``one_core``: ``lax_nhwc`` in a process pinned to one core (Linux);
- ``host_devices``: ``lax_nhwc`` with the batch sharded over one XLA host device per
  core (a process started with ``--xla_force_host_platform_device_count``).

Example:
    python benchmarks/conv_formulations.py
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

SHAPES = ((64, 32, 64), (128, 3, 32), (32, 64, 128))  # (side, in channels, out channels)
BATCH = 32


def _formulations():
    import jax
    import jax.numpy as jnp

    def lax_nhwc(x, w):
        dims = ("NHWC", "HWIO", "NHWC")
        return jax.lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=dims)

    def lax_nchw(x, w):
        y = jax.lax.conv_general_dilated(
            jnp.transpose(x, (0, 3, 1, 2)), jnp.transpose(w, (3, 2, 0, 1)), (1, 1), "SAME"
        )
        return jnp.transpose(y, (0, 2, 3, 1))

    def shifted(x):
        side = x.shape[1]
        padded = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
        return [padded[:, i : i + side, j : j + side, :] for i in range(3) for j in range(3)]

    def im2col(x, w):
        cols = jnp.concatenate(shifted(x), axis=-1)
        return cols @ w.reshape(-1, w.shape[-1])

    def shifted_matmuls(x, w):
        views = shifted(x)
        return sum(views[k] @ w[k // 3, k % 3] for k in range(9))

    return {
        "lax_nhwc": lax_nhwc,
        "lax_nchw": lax_nchw,
        "im2col": im2col,
        "shifted_matmuls": shifted_matmuls,
    }


def measure(names: list[str], repeats: int, sharded: bool) -> list[dict]:
    """Time each formulation on each shape in this process."""
    import jax
    import jax.numpy as jnp

    formulations = _formulations()
    rows = []
    for side, cin, cout in SHAPES:
        key = jax.random.PRNGKey(0)
        x = jax.random.normal(key, (BATCH, side, side, cin))
        w = 0.1 * jax.random.normal(key, (3, 3, cin, cout))
        if sharded:
            from jax.sharding import Mesh, NamedSharding
            from jax.sharding import PartitionSpec as P

            mesh = Mesh(jax.devices(), ("batch",))
            x = jax.device_put(x, NamedSharding(mesh, P("batch")))
            w = jax.device_put(w, NamedSharding(mesh, P()))
        flops = 3 * 2 * BATCH * side * side * 9 * cin * cout  # forward + 2x backward
        for name in names:
            conv = formulations[name]

            def loss(x, w, conv=conv):
                return jnp.sum(jax.nn.relu(conv(x, w)) ** 2) / 1e6

            step = jax.jit(jax.grad(loss, argnums=(0, 1)))
            jax.block_until_ready(step(x, w))
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                jax.block_until_ready(step(x, w))
                times.append(time.perf_counter() - start)
            rows.append(
                {
                    "shape": f"{side}x{side}, {cin}->{cout}",
                    "formulation": name,
                    "min_ms": 1000 * min(times),
                    "gflops_per_s": flops / min(times) / 1e9,
                    "devices": len(jax.devices()),
                }
            )
    return rows


def _child(variant: str, repeats: int) -> list[dict]:
    env = dict(os.environ)
    cores = os.cpu_count() or 1
    if variant == "host_devices":
        flag = f"--xla_force_host_platform_device_count={cores}"
        env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} {flag}".strip()
    command = [sys.executable, __file__, "--child", variant, "--repeats", str(repeats)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    for row in rows:
        row["formulation"] = variant
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--out", default=str(Path(__file__).parent / "results" / "conv_formulations.json")
    )
    args = parser.parse_args()
    if args.child:
        if args.child == "one_core":
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        print(json.dumps(measure(["lax_nhwc"], args.repeats, args.child == "host_devices")))
        return

    rows = measure(list(_formulations()), args.repeats, sharded=False)
    if hasattr(os, "sched_setaffinity"):
        rows += _child("one_core", args.repeats)
    rows += _child("host_devices", args.repeats)
    base = {r["shape"]: r["min_ms"] for r in rows if r["formulation"] == "lax_nhwc"}
    print("| formulation | shape | ms (min) | GFLOP/s | vs lax_nhwc |")
    print("|---|---|---:|---:|---:|")
    for row in rows:
        row["speedup"] = base[row["shape"]] / row["min_ms"]
        print(
            f"| {row['formulation']} | {row['shape']} | {row['min_ms']:.1f} "
            f"| {row['gflops_per_s']:.0f} | {row['speedup']:.2f}x |"
        )
    import _common

    payload = {"benchmark": "conv_formulations", "batch": BATCH, "repeats": args.repeats}
    payload |= {"machine": _common.machine_info(), "rows": rows}
    print(f"saved {_common.save_json(args.out, payload)}")


if __name__ == "__main__":
    main()
