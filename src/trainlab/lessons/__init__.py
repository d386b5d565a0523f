"""The lessons, one module each, in the order of the chapters (Deep Learning from Scratch ch. 4-6, then
Hands-On ML ch. 11): the catalogue the lab loads them from by name (:func:`trainlab.lab.lesson.load_lesson`).

What a lesson module declares is described in :mod:`trainlab.lab.lesson`. This file only lists them: it
imports nothing, so that a lesson may import the lab and the lab may find the lessons without a cycle.
"""

# name on the command line -> module, in the order of the chapters
MODULES = {
    "gradient-descent": "gradient_descent",
    "gradient-arrows": "gradient_arrows",
    "two-layer-net": "two_layer_net",
    "gradient-check": "gradient_check",
    "optimizers-2d": "optimizers_2d",
    "optimizers": "optimizers",
    "optimizer-table": "optimizer_table",
    "adagrad-fade": "adagrad_fade",
    "symmetric-weights": "symmetric_weights",
    "init-histograms": "init_histograms",
    "init-compare": "init_compare",
    "batchnorm": "batchnorm",
    "batchnorm-regularizer": "batchnorm_regularizer",
    "overfitting": "overfitting",
    "dropout-ensemble": "dropout_ensemble",
    "hyperparameter-search": "hyperparameter_search",
    "random-vs-grid": "random_vs_grid",
    "activations": "activations",
    "gradient-clipping": "gradient_clipping",
    "pretrained-layers": "pretrained_layers",
    "lr-schedules": "lr_schedules",
    "lr-finder": "lr_finder",
    "regularization": "regularization",
    "l1-sparsity": "l1_sparsity",
    "recipes": "recipes",
}
