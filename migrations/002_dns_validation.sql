-- kakuin schema 2 (issue #3): validation records and the ADN rule.
--
-- BR 3.2.2.4: the CA keeps a record of which validation method, with the BR version,
-- validated every domain. The record lives on the challenge that did it.
ALTER TABLE challenges ADD COLUMN account_uri TEXT;  -- account URL the client used (responded)
ALTER TABLE challenges ADD COLUMN br_method TEXT;    -- e.g. 3.2.2.4.7, once valid
ALTER TABLE challenges ADD COLUMN br_version TEXT;   -- BR version of the method table
ALTER TABLE challenges ADD COLUMN checked TEXT;      -- what the VA looked at
ALTER TABLE challenges ADD COLUMN dnssec TEXT
	CHECK (dnssec IS NULL OR dnssec IN ('secure', 'insecure'));

-- covers_subdomains: validated by a DNS method that lets it cover the names beneath it and
-- "*." of it (BR 3.2.2.4.7, .21). covered_by: this authorization was granted from such a
-- parent authorization instead of a validation of its own.
ALTER TABLE authorizations ADD COLUMN covers_subdomains INTEGER NOT NULL DEFAULT 0
	CHECK (covers_subdomains IN (0, 1));
ALTER TABLE authorizations ADD COLUMN covered_by INTEGER REFERENCES authorizations(id);
CREATE INDEX authorizations_adn ON authorizations (account_id, status)
	WHERE covers_subdomains = 1;
