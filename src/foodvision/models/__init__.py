"""Model registry and builders: CNNs trained from scratch and ImageNet backbones.

Importing this package registers the models and foodvision's serializable Keras layers
(so that ``keras.saving.load_model`` finds them); it builds nothing.

- :mod:`~foodvision.models.registry`: names -> builders with frozen-dataclass defaults.
- :mod:`~foodvision.models.cnn` and :mod:`~foodvision.models.transfer`: the builders.
- :mod:`~foodvision.models.weights`: where pretrained weights come from.
- :mod:`~foodvision.models.blocks`: block boundaries, freezing, splitting a model.
- :mod:`~foodvision.models.saving`: loading ``.keras`` files on any backend.
- :mod:`~foodvision.models.model_file`: saving a model with its class names and facts.
- :mod:`~foodvision.models.exporters`: ONNX, SavedModel and LiteRT for serving.
- :mod:`~foodvision.models.tta`: test-time augmentation.
- :mod:`~foodvision.models.ensemble`: several models as one that averages them.
- :mod:`~foodvision.models.inference`: running a model over many images in batches.

Example:
    >>> import foodvision as fv
    >>> fv.list_models("vgg*")
    ['vgg16_finetune']
    >>> model = fv.build_model("deeper_cnn", num_classes=5, dropout=0.3)  # doctest: +SKIP

"""

import foodvision.layers  # noqa: F401  (registers foodvision>... layers for load_model)
from foodvision.models import cnn, transfer  # noqa: F401  (registers the builders)
from foodvision.models.blocks import (
    block_boundaries,
    block_rate_factors,
    frozen_boundary,
    set_trainable_blocks,
    split_at,
)
from foodvision.models.cnn import (
    AugmentedCNNConfig,
    BaselineCNNConfig,
    DeeperCNNConfig,
    TunedCNNConfig,
)
from foodvision.models.ensemble import ensemble_models
from foodvision.models.exporters import EXPORT_FORMATS, export
from foodvision.models.inference import predict_arrays, predict_batches
from foodvision.models.model_file import (
    ModelFacts,
    describe_model,
    model_facts,
    read_facts,
    save_model,
    update_facts,
)
from foodvision.models.registry import (
    ModelSpec,
    build_model,
    get_model_spec,
    list_models,
    register_model,
    registered_spec,
    unregister_model,
)
from foodvision.models.saving import load_model
from foodvision.models.transfer import Backbone, TransferConfig, local_imagenet_weights
from foodvision.models.weights import (
    WEIGHTS_DIR_ENV,
    WeightsMismatchError,
    WeightsUnavailableError,
    resolve_weights,
)

__all__ = [
    "EXPORT_FORMATS",
    "WEIGHTS_DIR_ENV",
    "AugmentedCNNConfig",
    "Backbone",
    "BaselineCNNConfig",
    "DeeperCNNConfig",
    "ModelFacts",
    "ModelSpec",
    "TransferConfig",
    "TunedCNNConfig",
    "WeightsMismatchError",
    "WeightsUnavailableError",
    "block_boundaries",
    "block_rate_factors",
    "build_model",
    "describe_model",
    "ensemble_models",
    "export",
    "frozen_boundary",
    "get_model_spec",
    "list_models",
    "load_model",
    "local_imagenet_weights",
    "model_facts",
    "predict_arrays",
    "predict_batches",
    "read_facts",
    "register_model",
    "registered_spec",
    "resolve_weights",
    "save_model",
    "set_trainable_blocks",
    "split_at",
    "unregister_model",
    "update_facts",
]
