-- The status publisher's walk for certificates without a pre-signed OCSP response
-- (src/store_status.c kk_store_ocsp_missing) reads only this index: reading the table
-- instead meant reading every certificate's TBS and DER to reach not_after, and on a
-- million certificates the walk took ~25 s of back-to-back chunks under the store's
-- lock after each start, stalling issuance (bench/scale.sh, docs/performance.md).
-- The expression answers "a signed precertificate" (its serial is assigned, BR 4.9.10)
-- from the index too.
CREATE INDEX certificates_walk ON certificates
	(serial, status, not_after, precert_der IS NOT NULL);
