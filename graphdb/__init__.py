"""Everything that talks to Neo4j: connection, schema, ingest and the local server."""
