// API keys are found by the SHA-256 of the token a client sends; the token itself is
// never stored.
CREATE CONSTRAINT api_key_id IF NOT EXISTS
FOR (k:ApiKey) REQUIRE k.id IS UNIQUE;

CREATE CONSTRAINT api_key_hash IF NOT EXISTS
FOR (k:ApiKey) REQUIRE k.hash IS UNIQUE;

// The curation audit trail is listed per dataset, newest first.
CREATE INDEX curation_event_dataset_at IF NOT EXISTS
FOR (e:CurationEvent) ON (e.dataset, e.at);

// The rule explorer filters and sorts a run's rules by their measures.
CREATE INDEX rule_run_lift IF NOT EXISTS
FOR (r:Rule) ON (r.run_id, r.lift);
