"""Data sources, all returning one :class:`ImageData`, and the tf.data pipeline."""

from foodvision.data.checks import IMAGE_EXTENSIONS, CheckedImage, check_image, check_images
from foodvision.data.folders import load_image_folder
from foodvision.data.food101 import FOOD101_MD5, FOOD101_URL, download_food101, load_food101
from foodvision.data.image_data import ImageData
from foodvision.data.join import join_train_and_val
from foodvision.data.open import load_data
from foodvision.data.pipeline import RESIZE_MODES, make_array_dataset, make_file_dataset
from foodvision.data.synthetic import load_synthetic

__all__ = [
    "FOOD101_MD5",
    "FOOD101_URL",
    "IMAGE_EXTENSIONS",
    "RESIZE_MODES",
    "CheckedImage",
    "ImageData",
    "check_image",
    "check_images",
    "download_food101",
    "join_train_and_val",
    "load_data",
    "load_food101",
    "load_image_folder",
    "load_synthetic",
    "make_array_dataset",
    "make_file_dataset",
]
