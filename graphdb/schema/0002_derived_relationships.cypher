// Derived relationships and rules carry the run that wrote them; runs are cleared
// and pruned by run id.
CREATE INDEX bought_with_run IF NOT EXISTS
FOR ()-[r:BOUGHT_WITH]-() ON (r.run_id);

CREATE INDEX associated_run IF NOT EXISTS
FOR ()-[r:ASSOCIATED]-() ON (r.run_id);

CREATE INDEX similar_to_run IF NOT EXISTS
FOR ()-[r:SIMILAR_TO]-() ON (r.run_id);

CREATE CONSTRAINT rule_key IF NOT EXISTS
FOR (r:Rule) REQUIRE (r.run_id, r.id) IS UNIQUE;

CREATE INDEX rule_dataset_run IF NOT EXISTS
FOR (r:Rule) ON (r.dataset, r.run_id);
