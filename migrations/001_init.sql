-- kakuin schema 1. Times are seconds since the epoch (UTC); NULL means "not yet".
-- Every status column is closed by a CHECK so a bad write fails instead of persisting.

CREATE TABLE schema_version (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at INTEGER NOT NULL
);

-- Subject O/OU/L/ST of OV certificates (CP 3.2.2); C is fixed by policy.
CREATE TABLE organizations (
	id       INTEGER PRIMARY KEY,
	name     TEXT NOT NULL,
	unit     TEXT,
	locality TEXT,
	state    TEXT
);

-- RFC 8555 7.1.2; thumbprint is the RFC 7638 JWK thumbprint, one account per key.
CREATE TABLE accounts (
	id         INTEGER PRIMARY KEY,
	jwk        TEXT NOT NULL,
	thumbprint TEXT NOT NULL UNIQUE,
	contact    TEXT,
	status     TEXT NOT NULL CHECK (status IN ('valid', 'deactivated', 'revoked')),
	org_id     INTEGER REFERENCES organizations(id),
	created    INTEGER NOT NULL
);

-- RFC 8555 7.1.4.
CREATE TABLE authorizations (
	id         INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts(id),
	id_type    TEXT NOT NULL CHECK (id_type IN ('dns')),
	id_value   TEXT NOT NULL,
	wildcard   INTEGER NOT NULL CHECK (wildcard IN (0, 1)),
	status     TEXT NOT NULL CHECK (status IN ('pending', 'valid', 'invalid', 'deactivated',
	               'expired', 'revoked')),
	expires    INTEGER NOT NULL,
	validated  INTEGER,
	created    INTEGER NOT NULL,
	CHECK (status <> 'valid' OR validated IS NOT NULL)
);
-- Authorization reuse (BR 4.2.1): newest valid authz of an account for one name.
CREATE INDEX authorizations_reuse
	ON authorizations (account_id, id_value, wildcard, status, validated);

-- RFC 8555 7.1.5; created bounds the token lifetime (CP 3.2.7).
CREATE TABLE challenges (
	id        INTEGER PRIMARY KEY,
	authz_id  INTEGER NOT NULL REFERENCES authorizations(id),
	type      TEXT NOT NULL,
	token     TEXT NOT NULL,
	status    TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'valid', 'invalid')),
	created   INTEGER NOT NULL,
	validated INTEGER,
	error     TEXT
);
CREATE INDEX challenges_authz ON challenges (authz_id);
CREATE INDEX challenges_processing ON challenges (status) WHERE status = 'processing';

-- RFC 8555 7.1.3. "ready" is derived from the authorizations, never stored.
-- cert_serial refers to certificates, which refer back: the order row comes first.
CREATE TABLE orders (
	id          INTEGER PRIMARY KEY,
	account_id  INTEGER NOT NULL REFERENCES accounts(id),
	status      TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'valid', 'invalid')),
	created     INTEGER NOT NULL,
	expires     INTEGER NOT NULL,
	not_before  INTEGER,
	not_after   INTEGER,
	identifiers TEXT NOT NULL,
	error       TEXT,
	csr         BLOB,
	cert_serial TEXT REFERENCES certificates(serial),
	CHECK (status <> 'valid' OR cert_serial IS NOT NULL)
);
CREATE INDEX orders_account ON orders (account_id, id);
CREATE INDEX orders_processing ON orders (status) WHERE status = 'processing';

-- An order's authorizations; position keeps the order of its identifiers.
CREATE TABLE order_authorizations (
	order_id INTEGER NOT NULL REFERENCES orders(id),
	position INTEGER NOT NULL,
	authz_id INTEGER NOT NULL REFERENCES authorizations(id),
	PRIMARY KEY (order_id, position)
);
CREATE INDEX order_authorizations_authz ON order_authorizations (authz_id);

-- Crash-safe issuance (DESIGN.md): a serial is reserved once, planned with the exact
-- TBSCertificate, then issued. Rows are never deleted, so no serial is ever reused
-- (BR 7.1: unique serial numbers).
CREATE TABLE certificates (
	serial     TEXT PRIMARY KEY,
	status     TEXT NOT NULL CHECK (status IN ('reserved', 'planned', 'issued', 'revoked')),
	tbs        BLOB,
	der        BLOB,
	order_id   INTEGER NOT NULL REFERENCES orders(id),
	account_id INTEGER NOT NULL REFERENCES accounts(id),
	not_before INTEGER,
	not_after  INTEGER,
	created    INTEGER NOT NULL,
	CHECK (status = 'reserved' OR tbs IS NOT NULL),
	CHECK (status IN ('reserved', 'planned') OR der IS NOT NULL)
);
CREATE INDEX certificates_order ON certificates (order_id, status);
