ALTER TABLE "user_notifications" ADD COLUMN "emailed_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "user_notifications_unsent_idx" ON "user_notifications" USING btree ("created_at") WHERE emailed_at IS NULL;--> statement-breakpoint
-- notifications made before e-mail existed are not sent now
UPDATE "user_notifications" SET "emailed_at" = "created_at";
