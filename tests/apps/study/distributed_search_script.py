"""One process of KerasTuner's distributed search through ``fv.tune_cnn``, as JSON.

Usage: KERASTUNER_TUNER_ID=chief|tuner0 KERASTUNER_ORACLE_IP=127.0.0.1
       KERASTUNER_ORACLE_PORT=PORT python distributed_search_script.py DIRECTORY
"""

import json
import os
import sys

import foodvision as fv

data = fv.load_synthetic(image_size=(32, 32), train_per_class=10, val_per_class=4, test_per_class=0)
result = fv.tune_cnn(
    data,
    tuner="bayesian",
    max_trials=3,
    epochs=1,
    search_space={"depth": (2, 3), "filters": (8, 16)},
    confirm_top=1,
    directory=sys.argv[1],
    seed=0,
)
print(
    json.dumps(
        {
            "role": os.environ["KERASTUNER_TUNER_ID"],
            "trials": None if result is None else len(result.trials),
            "best": None if result is None else result.best_hyperparameters,
            "confirmed": None if result is None else len(result.confirmations),
        }
    )
)
