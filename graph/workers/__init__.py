"""Work that runs where it can be stopped: pools of worker processes with time limits (:mod:`graph.workers.pool`),
and the roles they play — SHACL validation of what clients and partners send (:mod:`graph.workers.validation`);
public SPARQL queries over snapshots (:mod:`graph.store.querypool`)."""
