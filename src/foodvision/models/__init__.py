"""Model registry and builders: CNNs trained from scratch and ImageNet backbones.

Importing this package registers the models and foodvision's serializable Keras layers
(so that ``keras.saving.load_model`` finds them); it builds nothing.

Example:
    >>> import foodvision as fv
    >>> fv.list_models("vgg*")
    ['vgg16_finetune']
    >>> model = fv.build_model("deeper_cnn", num_classes=5, dropout=0.3)  # doctest: +SKIP

"""

import foodvision.layers  # noqa: F401  (registers foodvision>... layers for load_model)
from foodvision.models import cnn, transfer  # noqa: F401  (registers the builders)
from foodvision.models._registry import (
    ModelSpec,
    build_model,
    get_model_spec,
    list_models,
    register_model,
    unregister_model,
)
from foodvision.models.blocks import (
    block_boundaries,
    frozen_boundary,
    set_trainable_blocks,
    split_at,
)
from foodvision.models.cnn import (
    TRAINING_HYPERPARAMETERS,
    AugmentedCNNConfig,
    BaselineCNNConfig,
    DeeperCNNConfig,
    TunedCNNConfig,
    split_hyperparameters,
)
from foodvision.models.saving import load_model
from foodvision.models.transfer import Backbone, TransferConfig

__all__ = [
    "TRAINING_HYPERPARAMETERS",
    "AugmentedCNNConfig",
    "Backbone",
    "BaselineCNNConfig",
    "DeeperCNNConfig",
    "ModelSpec",
    "TransferConfig",
    "TunedCNNConfig",
    "block_boundaries",
    "build_model",
    "frozen_boundary",
    "get_model_spec",
    "list_models",
    "load_model",
    "register_model",
    "set_trainable_blocks",
    "split_at",
    "split_hyperparameters",
    "unregister_model",
]
