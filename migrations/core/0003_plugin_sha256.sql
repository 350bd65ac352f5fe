-- The SHA-256 of a plug-in's shared object as last loaded (NULL for a
-- built-in), so that new bytes under an unchanged version draw a warning:
-- a changed fold needs a new version to be rebuilt.
ALTER TABLE projector_status ADD COLUMN sha256 TEXT;
