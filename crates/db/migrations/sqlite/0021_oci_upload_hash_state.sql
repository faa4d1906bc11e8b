-- Chunked OCI uploads appended in place (filesystem store): the running SHA-256 state over the
-- bytes received so far (hex), so whichever node takes the next chunk continues the hash and
-- the closing PUT only finishes it. NULL for uploads kept as one stored blob per chunk.
ALTER TABLE oci_uploads ADD COLUMN hash_state TEXT;
