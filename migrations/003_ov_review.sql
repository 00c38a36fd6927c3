-- kakuin schema 3 (issue #4): OV vetting. Organizations verified by people (CP 3.2.2,
-- 3.2.5) with their evidence, reviewers with roles, two-person approval, the audit log,
-- EAB keys (RFC 8555 7.3.4) bound to organizations, and reviewer tasks (phone methods,
-- orders held for review). Times are seconds since the epoch (UTC).

-- password_hash: "scrypt$N$r$p$salt_b64$hash_b64"
CREATE TABLE reviewers (
	id            INTEGER PRIMARY KEY,
	name          TEXT NOT NULL UNIQUE,
	role          TEXT NOT NULL CHECK (role IN ('reviewer', 'approver', 'admin')),
	password_hash TEXT NOT NULL,
	disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
	created       INTEGER NOT NULL
);

-- status is the stored vetting state; "expired" is derived (approved and expires <= now).
-- verified_*: the first person (identity and authority checked); approved_*: the second.
ALTER TABLE organizations ADD COLUMN country TEXT NOT NULL DEFAULT 'JP';
ALTER TABLE organizations ADD COLUMN reg_number TEXT;        -- corporate number
ALTER TABLE organizations ADD COLUMN address TEXT;
ALTER TABLE organizations ADD COLUMN phone TEXT;
ALTER TABLE organizations ADD COLUMN applicant_name TEXT;
ALTER TABLE organizations ADD COLUMN applicant_email TEXT;
ALTER TABLE organizations ADD COLUMN authorizer_name TEXT;   -- who confirmed the applicant's authority
ALTER TABLE organizations ADD COLUMN authorizer_email TEXT;
ALTER TABLE organizations ADD COLUMN status TEXT NOT NULL DEFAULT 'submitted'
	CHECK (status IN ('submitted', 'in_review', 'approved', 'rejected'));
ALTER TABLE organizations ADD COLUMN verified_by INTEGER REFERENCES reviewers(id);
ALTER TABLE organizations ADD COLUMN verified_at INTEGER;
ALTER TABLE organizations ADD COLUMN approved_by INTEGER REFERENCES reviewers(id);
ALTER TABLE organizations ADD COLUMN approved_at INTEGER;
ALTER TABLE organizations ADD COLUMN expires INTEGER;        -- end of the BR 4.2.1 reuse period
ALTER TABLE organizations ADD COLUMN reason TEXT;            -- of the last rejection
ALTER TABLE organizations ADD COLUMN created INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN dev INTEGER NOT NULL DEFAULT 0 CHECK (dev IN (0, 1));
-- the organization `kakuin init` creates from policy dev_organization is approved by
-- policy (dev mode), not by people; it is marked so everywhere it is shown
UPDATE organizations SET status = 'approved', dev = 1 WHERE id = 1;

-- web UI sessions: only SHA-256 of the cookie value is stored
CREATE TABLE sessions (
	token_hash  TEXT PRIMARY KEY,
	reviewer_id INTEGER NOT NULL REFERENCES reviewers(id),
	csrf        TEXT NOT NULL,
	created     INTEGER NOT NULL,
	expires     INTEGER NOT NULL
);

-- kind: registry (public corporate registry), database (third-party database),
-- document (uploaded, stored as DATA/documents/<sha256>), authority (CP 3.2.5: the
-- applicant's authority confirmed with the authorizer)
CREATE TABLE org_evidence (
	id        INTEGER PRIMARY KEY,
	org_id    INTEGER NOT NULL REFERENCES organizations(id),
	kind      TEXT NOT NULL CHECK (kind IN ('registry', 'database', 'document', 'authority')),
	source    TEXT NOT NULL,
	reference TEXT,
	doc_sha256 TEXT,
	doc_name  TEXT,
	added_by  INTEGER NOT NULL REFERENCES reviewers(id),
	created   INTEGER NOT NULL,
	CHECK (kind <> 'document' OR doc_sha256 IS NOT NULL)
);
CREATE INDEX org_evidence_org ON org_evidence (org_id);

-- every decision and change: who, when, what, why. Never updated or deleted.
CREATE TABLE audit_log (
	id      INTEGER PRIMARY KEY,
	at      INTEGER NOT NULL,
	actor   TEXT NOT NULL,     -- reviewer name, or "cli:<user>" / "system"
	action  TEXT NOT NULL,     -- e.g. org.verify, org.approve, eab.create, task.complete
	object  TEXT NOT NULL,     -- e.g. "org 3", "eab kid", "task 7"
	detail  TEXT               -- reason, evidence ids, outcome
);
CREATE INDEX audit_log_object ON audit_log (object, id);

-- RFC 8555 7.3.4. hmac_key is base64url; it is needed to verify MACs, so it is stored
-- (the admin sees it once, at creation). Reusable by the same organization until revoked.
CREATE TABLE eab_keys (
	kid      TEXT PRIMARY KEY,
	hmac_key TEXT NOT NULL,
	org_id   INTEGER NOT NULL REFERENCES organizations(id),
	created  INTEGER NOT NULL,
	created_by TEXT NOT NULL,
	revoked  INTEGER,           -- time of revocation, NULL while usable
	last_used INTEGER
);
ALTER TABLE accounts ADD COLUMN eab_kid TEXT REFERENCES eab_keys(kid);

-- Work for people. phone: a BR 3.2.2.4.16/.17 call (challenge_id, phone, random value);
-- order: an order held in processing for a reviewer's look (order_id).
CREATE TABLE review_tasks (
	id           INTEGER PRIMARY KEY,
	kind         TEXT NOT NULL CHECK (kind IN ('phone', 'order')),
	status       TEXT NOT NULL CHECK (status IN ('open', 'done')),
	org_id       INTEGER REFERENCES organizations(id),
	order_id     INTEGER REFERENCES orders(id),
	challenge_id INTEGER UNIQUE REFERENCES challenges(id),
	domain       TEXT,
	phone        TEXT,
	random_value TEXT,
	br_method    TEXT,
	outcome      TEXT CHECK (outcome IS NULL OR outcome IN ('success', 'failure')),
	note         TEXT,
	created      INTEGER NOT NULL,
	done_by      INTEGER REFERENCES reviewers(id),
	done_at      INTEGER,
	CHECK (status = 'open' OR (outcome IS NOT NULL AND done_by IS NOT NULL))
);
CREATE INDEX review_tasks_open ON review_tasks (status) WHERE status = 'open';

-- the account URL at finalize, for the RFC 8657 accounturi check when a held order is
-- issued later (CAA is checked again then)
ALTER TABLE orders ADD COLUMN account_uri TEXT;
