ALTER TABLE "quarantine_records" ADD COLUMN "connector_id" bigint;--> statement-breakpoint
ALTER TABLE "quarantine_records" ADD COLUMN "via" text;--> statement-breakpoint
ALTER TABLE "quarantine_records" ADD COLUMN "depth" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "quarantine_records" ADD COLUMN "locator" jsonb;--> statement-breakpoint
ALTER TABLE "quarantine_records" ADD COLUMN "copies" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "quarantine_records" ADD CONSTRAINT "quarantine_records_connector_id_connectors_id_fk" FOREIGN KEY ("connector_id") REFERENCES "public"."connectors"("id") ON DELETE set null ON UPDATE no action;