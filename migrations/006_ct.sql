-- Certificate Transparency (RFC 6962; CP table 7.1-1 SCT list). With CT on, a serial
-- goes reserved -> precertificate planned (precert_tbs) -> precertificate signed
-- (precert_der) -> SCTs collected (scts) -> planned (tbs: the final certificate, the
-- precertificate's TBS without the poison plus the SCT list) -> issued. Each step is
-- stored before the next starts, so a restart resumes without a second precertificate
-- or a second submission. A signed precertificate makes its serial "assigned" (BR 4.9.10,
-- 7.1.2.9): OCSP answers for it even if the final certificate never comes.
ALTER TABLE certificates ADD COLUMN precert_tbs BLOB;
ALTER TABLE certificates ADD COLUMN precert_der BLOB;
ALTER TABLE certificates ADD COLUMN scts BLOB;       -- TLS SignedCertificateTimestampList
ALTER TABLE certificates ADD COLUMN ct_since INTEGER; -- precertificate signed (wait limit)
ALTER TABLE certificates ADD COLUMN ct_tried INTEGER; -- last submission attempt
ALTER TABLE certificates ADD COLUMN ct_error TEXT;    -- why the last attempt fell short
