-- kakuin schema 4 (issue #4): orders held for a reviewer's look. With policy
-- ov.review_new_domains, an order naming a registrable domain (Public Suffix List) that no
-- reviewer has accepted for the organization waits for an "order" task; a reviewer's
-- acceptance adds the order's domains here, so later orders for them are not held.
CREATE TABLE org_domains (
	org_id  INTEGER NOT NULL REFERENCES organizations(id),
	domain  TEXT NOT NULL,
	task_id INTEGER REFERENCES review_tasks(id),
	created INTEGER NOT NULL,
	PRIMARY KEY (org_id, domain)
);
-- at most one review task per order
CREATE UNIQUE INDEX review_tasks_order ON review_tasks (order_id) WHERE order_id IS NOT NULL;
