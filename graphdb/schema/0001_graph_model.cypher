// The graph model of DESIGN.md: keys are unique per dataset.
CREATE CONSTRAINT product_key IF NOT EXISTS
FOR (p:Product) REQUIRE (p.dataset, p.sku) IS UNIQUE;

CREATE CONSTRAINT category_key IF NOT EXISTS
FOR (c:Category) REQUIRE (c.dataset, c.id) IS UNIQUE;

CREATE CONSTRAINT customer_key IF NOT EXISTS
FOR (c:Customer) REQUIRE (c.dataset, c.id) IS UNIQUE;

CREATE CONSTRAINT order_key IF NOT EXISTS
FOR (o:Order) REQUIRE (o.dataset, o.id) IS UNIQUE;

CREATE CONSTRAINT run_key IF NOT EXISTS
FOR (r:Run) REQUIRE r.id IS UNIQUE;

// Time-window exports (mining, training, evaluation) scan orders by date.
CREATE INDEX order_placed_at IF NOT EXISTS
FOR (o:Order) ON (o.dataset, o.placed_at);

// Runs are listed per dataset and kind, newest first.
CREATE INDEX run_dataset_kind IF NOT EXISTS
FOR (r:Run) ON (r.dataset, r.kind);

// Product search by words of the title or of any other title seen for the sku.
CREATE FULLTEXT INDEX product_text IF NOT EXISTS
FOR (p:Product) ON EACH [p.title, p.aliases];
