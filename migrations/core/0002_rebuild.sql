-- Rebuild progress, for websites and `projector status`. While a projection's
-- state is 'rebuilding', its old view keeps serving readers, rebuild_seq is
-- how far the shadow copy has folded, and rebuild_target is the stream's last
-- sequence when the rebuild started. Both are NULL otherwise.
ALTER TABLE projector_status ADD COLUMN rebuild_seq INTEGER;
ALTER TABLE projector_status ADD COLUMN rebuild_target INTEGER;
