-- Chunked OCI uploads on S3 as one multipart upload: the S3 upload id, the parts' ETags and
-- sizes and the tail object (bytes waiting for the next part), as JSON, so whichever node
-- takes the next chunk continues it. NULL for uploads not kept that way.
ALTER TABLE oci_uploads ADD COLUMN multipart_state TEXT;
