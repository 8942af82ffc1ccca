-- Alerts as linked (issue 16): a 2–4 KB alert's row (raw body + normalised columns, ~5 KB) stays
-- inline up to a full page instead of being moved out of line into TOAST (pglz tried, then two
-- TOAST chunks and their index entries per alert) at 2 KB, as the intake log already does (0012).
-- Measured on 17,609 bench alerts copied into a table of each kind on the bench's PostgreSQL:
-- INSERT 1,845 → 714 ms (105 → 41 µs per alert), reading every raw body 375 → 270 ms; on disk
-- 106 → 125 MB (+18 %: compressible bodies are no longer compressed below ~8 KB). Larger rows are
-- compressed and moved out of line as before.
ALTER TABLE "alerts" SET (toast_tuple_target = 8160);
