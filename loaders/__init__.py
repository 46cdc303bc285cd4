"""Importers and harvesters, one module per source kind; each turns a source into RDF in our
ontology and hands it to :func:`graph.loading.load_files` (validation first, atomic write)."""
