-- The 'quarantine' permission (issue 17): the built-in teams that already exist get it as a
-- fresh install would (Admins and Analysts); other teams are left to an admin.
UPDATE "teams" SET "permissions" = array_append("permissions", 'quarantine')
  WHERE "is_builtin" AND "name" IN ('Admins', 'Analysts') AND NOT ('quarantine' = ANY ("permissions"));
