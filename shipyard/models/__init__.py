"""Model packages: signatures, flavors, saving and loading with integrity checks.

A model version is a directory with a manifest ``shipyard-model.json`` (DESIGN.md section 5).
``save_package`` writes one, ``load_package`` verifies every hash and loads it,
``store_package``/``fetch_package`` move it through the content-addressed artifact store, and a
:class:`LoadedModel` validates input against the signature and predicts over a batch.
"""
