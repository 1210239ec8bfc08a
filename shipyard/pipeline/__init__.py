"""Training pipelines driven by ``shipyard.yaml``: load, version, validate, train, evaluate,
gate, register and promote, each step a tracked run, unchanged steps taken from cache; and
``reproduce`` to re-run a recorded pipeline run and say whether it comes out the same."""
