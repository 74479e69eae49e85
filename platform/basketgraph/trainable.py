"""The names of the models a training run fits, without importing any of them.

The command line, the job checks and the training job all name these models; the
training job's module imports PyTorch, which takes seconds, so the names live here.
"""

from __future__ import annotations

#: Models ``basketgraph train`` trains.
MODELS = ("gcn", "gat", "lightgcn", "hybrid", "ease")

#: Models a pipeline trains and writes back when it is given none, in order: the
#: last ``train`` run written (EASE, the best on Online Retail) is the one served
#: as ``learned``; the hybrid serves complements and substitutes. LightGCN is
#: evaluated too.
PIPELINE_MODELS = ("gcn", "gat", "ease", "hybrid")
