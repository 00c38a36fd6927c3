-- kakuin schema 5 (issue #5): revocation (CP 4.9), the CRL (CP 7.2) and OCSP (CP 7.3)
-- publishers, ARI (RFC 9773) and profiles.

-- revocation of an issued certificate: status becomes 'revoked' with these set.
-- reason: RFC 5280 CRLReason code, NULL = unspecified (no reasonCode entry, BR 7.2.2).
ALTER TABLE certificates ADD COLUMN revoked_at INTEGER;
ALTER TABLE certificates ADD COLUMN revoked_reason INTEGER
	CHECK (revoked_reason IS NULL OR revoked_reason IN (1, 3, 4, 5, 9));
ALTER TABLE certificates ADD COLUMN revoked_by TEXT;   -- "account N", "certificate key", "reviewer X"
-- SHA-256 (hex) of the certificate's SubjectPublicKeyInfo: key-compromise revocation
-- finds every certificate with the key
ALTER TABLE certificates ADD COLUMN spki_sha256 TEXT;
CREATE INDEX certificates_spki ON certificates (spki_sha256);
CREATE INDEX certificates_revoked ON certificates (status, not_after) WHERE status = 'revoked';

-- CP 4.9.12: keys shown to be compromised are never certified again (badPublicKey)
CREATE TABLE blocked_keys (
	spki_sha256 TEXT PRIMARY KEY,
	reason      TEXT NOT NULL,
	source      TEXT NOT NULL,   -- which revocation or proof blocked it
	created     INTEGER NOT NULL
);

-- CA-initiated revocation requests (CP 4.9.1/4.9.3): who asked, why, and the deadline
-- class (24 hours or 5 days from the report) the CA must meet
CREATE TABLE revocation_requests (
	id          INTEGER PRIMARY KEY,
	serial      TEXT NOT NULL REFERENCES certificates(serial),
	reason      INTEGER CHECK (reason IS NULL OR reason IN (1, 3, 4, 5, 9)),
	requested_by TEXT NOT NULL,
	detail      TEXT,
	deadline_class TEXT NOT NULL CHECK (deadline_class IN ('24h', '5d')),
	deadline    INTEGER NOT NULL,
	status      TEXT NOT NULL CHECK (status IN ('open', 'done', 'withdrawn')),
	created     INTEGER NOT NULL,
	done_at     INTEGER
);
CREATE INDEX revocation_requests_open ON revocation_requests (status, deadline)
	WHERE status = 'open';

-- CRLs as issued (CP 4.9.7, 7.2): number strictly increasing; shard 0 is the full CRL
-- of the issuing CA (partitioned CRLs would add shards with an IDP, docs/revocation.md)
CREATE TABLE crls (
	number      INTEGER PRIMARY KEY,
	shard       INTEGER NOT NULL DEFAULT 0,
	this_update INTEGER NOT NULL,
	next_update INTEGER NOT NULL,
	der         BLOB NOT NULL
);

-- pre-signed OCSP responses (RFC 5019), one current response per serial
CREATE TABLE ocsp_responses (
	serial      TEXT PRIMARY KEY REFERENCES certificates(serial),
	this_update INTEGER NOT NULL,
	next_update INTEGER NOT NULL,
	der         BLOB NOT NULL
);

-- ARI (RFC 9773) "replaces" and profiles (draft-aaron-acme-profiles) of an order
ALTER TABLE orders ADD COLUMN replaces TEXT;   -- serial of the certificate being renewed
ALTER TABLE orders ADD COLUMN profile TEXT;
