-- The intake log holds each alert for moments (appended on the request path, deleted by the
-- linker): its rows (raw body + normalised item, ~7 KB) stay inline and uncompressed up to a full
-- page instead of being pglz-compressed at 2 KB. Compression cost the append CPU per alert, and
-- the linker decompressed `item` again for every key it read (issue 16; measured on 15,073 kit
-- alerts: INSERT of the log rows 5.9 → 4.1 s, reading item keys of all rows 312 → 33 ms).
-- Rows over the target are still compressed/moved out of line as before.
ALTER TABLE "intake_log" SET (toast_tuple_target = 8160);
