"""Walk a Keras model's layer graph, nested models included, and call it eagerly.

Grad-CAM and feature maps need the output of a layer deep inside a model, often inside a
nested base model (``keras.applications.VGG16`` used as one layer of a functional model).
Instead of building a new ``keras.Model`` (which adds nodes to the user's layers), the graph
is re-run eagerly, layer by layer, recursing into nested Functional and Sequential models,
so that any layer's output can be recorded or replaced on the way.

Layers are named by their path: ``"conv2d"`` at the top level, ``"vgg16/block5_conv3"``
inside the nested model ``vgg16``.

Keras has no public API for this, so this module (with
:mod:`foodvision.augment.backend_ops`) is where foodvision relies on Keras internals:
``Functional._run_through_graph``, ``_nodes_by_depth``, ``Sequential._functional``,
``KerasTensor._keras_history`` and ``Layer._call_has_training_arg``. They are tested on
the Keras versions ``pyproject.toml`` allows (an upper bound keeps a release that changes
them out until it is tested).
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Mapping
from typing import Any

import keras

CONV_TYPES = (
    keras.layers.Conv2D,
    keras.layers.SeparableConv2D,
    keras.layers.DepthwiseConv2D,
    keras.layers.Conv2DTranspose,
)


def graph_of(model: Any) -> Any | None:
    """Return the functional graph that runs ``model``, or ``None`` if it has none."""
    if isinstance(model, keras.Sequential):
        return getattr(model, "_functional", None)
    if isinstance(model, keras.Model) and hasattr(model, "_run_through_graph"):
        if hasattr(model, "_nodes_by_depth"):
            return model
    return None


def _require_graph(model: Any) -> Any:
    if not isinstance(model, keras.Model):
        raise ValueError(f"expected a keras.Model, got {type(model).__name__}")
    graph = graph_of(model)
    if graph is None:
        if isinstance(model, keras.Sequential):
            raise ValueError(
                f"the Sequential model {model.name!r} is not built; start it with "
                "keras.Input(shape) or call it once on a batch of images"
            )
        raise ValueError(
            f"model {model.name!r} is a subclassed {type(model).__name__}; its layers cannot be "
            "reached from outside its call(). Build it with the functional API or "
            "keras.Sequential"
        )
    return graph


def list_layers(model: keras.Model, prefix: str = "") -> list[tuple[str, keras.Layer]]:
    """All layers of ``model`` in graph order, nested models expanded, as ``(path, layer)``.

    A nested model appears itself (its output is a valid layer to record) followed by
    its own layers, whose paths start with ``"<nested name>/"``.

    Example:
        >>> [path for path, _ in list_layers(model)][:3]  # doctest: +SKIP
        ['rescaling', 'vgg16', 'vgg16/block1_conv1']

    """
    _require_graph(model)
    result: list[tuple[str, keras.Layer]] = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        path = prefix + layer.name
        result.append((path, layer))
        if isinstance(layer, keras.Model) and graph_of(layer) is not None:
            result.extend(list_layers(layer, path + "/"))
    return result


def conv_layer_paths(model: keras.Model) -> list[str]:
    """Paths of the 2-D convolution layers of ``model``, in graph order."""
    return [path for path, layer in list_layers(model) if isinstance(layer, CONV_TYPES)]


def _describe(paths: list[str], limit: int = 30) -> str:
    if not paths:
        return "(none)"
    shown = ", ".join(repr(p) for p in paths[-limit:])
    return shown if len(paths) <= limit else f"... {shown}"


def resolve_layer(model: keras.Model, name: str) -> str:
    """Return the path of the layer called ``name`` (a full path or a unique short name).

    Raises:
        ValueError: If no layer, or more than one, has that name; the message lists the
            convolution layers that can be used instead.

    """
    layers = list_layers(model)
    paths = [path for path, _ in layers]
    if name in paths:
        return name
    matches = [path for path in paths if path.rsplit("/", 1)[-1] == name]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise ValueError(
            f"layer name {name!r} is ambiguous in model {model.name!r}; use one of the full "
            f"paths {', '.join(repr(m) for m in matches)}"
        )
    close = difflib.get_close_matches(name, paths + [p.rsplit("/", 1)[-1] for p in paths], n=3)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise ValueError(
        f"model {model.name!r} has no layer named {name!r}.{hint} Available convolution "
        f"layers: {_describe(conv_layer_paths(model))}"
    )


def _takes_training(operation: Any) -> bool:
    flag = getattr(operation, "_call_has_training_arg", None)
    if flag is not None:
        return bool(flag)
    call = getattr(operation, "call", None)
    try:
        return call is not None and "training" in inspect.signature(call).parameters
    except (TypeError, ValueError):
        return False


def output_layer_path(model: keras.Model, prefix: str = "") -> tuple[str, Any]:
    """Path and operation that produce the (single) output of ``model``."""
    graph = _require_graph(model)
    if len(graph.outputs) != 1:
        raise ValueError(
            f"model {model.name!r} has {len(graph.outputs)} outputs; only single-output "
            "classifiers are supported"
        )
    operation = graph.outputs[0]._keras_history.operation
    path = prefix + operation.name
    if isinstance(operation, keras.Model) and graph_of(operation) is not None:
        return output_layer_path(operation, path + "/")
    return path, operation


Hook = Callable[[Any], Any]


def run_graph(
    model: keras.Model,
    inputs: Any,
    *,
    record: tuple[str, ...] | list[str] = (),
    replace: Mapping[str, Hook] | None = None,
    override: Mapping[str, Callable[..., Any]] | None = None,
) -> tuple[Any, dict[str, Any]]:
    """Call ``model`` on ``inputs`` in inference mode, layer by layer.

    Args:
        model: A Functional or Sequential model (nested models are entered).
        inputs: A backend tensor (or structure of tensors) matching ``model.inputs``.
        record: Layer paths whose outputs are returned.
        replace: ``{path: hook}``; the output of that layer is replaced by ``hook(output)``
            before the rest of the graph sees it (recorded outputs are the originals).
        override: ``{path: fn}``; that layer is computed as ``fn(layer, *args, **kwargs)``
            instead of ``layer(*args, **kwargs)`` (for example, a softmax layer without its
            softmax).

    Returns:
        ``(outputs, recorded)`` with ``recorded[path]`` the output of each recorded layer.

    Example:
        >>> out, maps = run_graph(model, images, record=["vgg16/block5_conv3"])  # doctest: +SKIP

    """
    replace = dict(replace or {})
    override = dict(override or {})
    wanted = set(record)
    recorded: dict[str, Any] = {}

    def after(path: str, output: Any) -> Any:
        if path in wanted:
            recorded[path] = output
        hook = replace.get(path)
        return hook(output) if hook is not None else output

    def walk(graph_model: keras.Model, values: Any, prefix: str) -> Any:
        graph = _require_graph(graph_model)

        def operation_fn(operation: Any) -> Callable[..., Any]:
            path = prefix + operation.name
            if isinstance(operation, keras.Model) and graph_of(operation) is not None:

                def call_nested(*args: Any, **kwargs: Any) -> Any:
                    nested_inputs = args[0] if args else kwargs["inputs"]
                    return after(path, walk(operation, nested_inputs, path + "/"))

                return call_nested

            def call(*args: Any, **kwargs: Any) -> Any:
                if _takes_training(operation):
                    kwargs["training"] = False
                function = override.get(path)
                if function is not None:
                    kwargs.pop("training", None)
                    return after(path, function(operation, *args, **kwargs))
                return after(path, operation(*args, **kwargs))

            return call

        outputs = graph._run_through_graph(values, operation_fn=operation_fn)
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            return outputs[0]
        return outputs

    outputs = walk(model, inputs, "")
    missing = wanted - set(recorded)
    if missing:
        raise ValueError(
            f"layers {sorted(missing)} of model {model.name!r} were not reached from its inputs"
        )
    return outputs, recorded
