-- Why a version was yanked (PEP 592's yank reason; shown by PyPI pages, the API and the web UI).
ALTER TABLE versions ADD COLUMN yank_reason TEXT;
