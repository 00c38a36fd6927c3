-- The status publisher's work lists as index ranges (issue #7, docs/performance.md
-- "Scale"): on a million certificates a scan of every row took ~1.9 s under the store's
-- lock every few seconds.
--
-- When a pre-signed OCSP response is due to be re-signed: half its validity (RFC 5019 6,
-- CP 4.9.9). Computed by SQLite from the row, so every writer keeps it right.
ALTER TABLE ocsp_responses ADD COLUMN refresh_at INTEGER
	GENERATED ALWAYS AS (this_update + (next_update - this_update) / 2) VIRTUAL;
CREATE INDEX ocsp_responses_refresh ON ocsp_responses (refresh_at);
-- Revocations by another process (`kakuin revoke do`, the reviewer UI) are found by when
-- they happened, to re-sign their responses at once.
CREATE INDEX certificates_revoked_at ON certificates (revoked_at) WHERE status = 'revoked';
