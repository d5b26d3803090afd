-- DPoP (RFC 9449): the key thumbprint (RFC 7638) an authorization request's
-- dpop_jkt names, carried to its code (§10), and the key a public client's
-- refresh tokens are bound to, kept on the grant (§5). Empty: not bound.

ALTER TABLE auth_requests ADD COLUMN dpop_jkt TEXT NOT NULL DEFAULT '';
ALTER TABLE auth_codes ADD COLUMN dpop_jkt TEXT NOT NULL DEFAULT '';
ALTER TABLE grants ADD COLUMN dpop_jkt TEXT NOT NULL DEFAULT '';
