CREATE TABLE "incident_link_keys" (
	"key" text NOT NULL,
	"incident_id" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "incident_link_keys_key_incident_id_pk" PRIMARY KEY("key","incident_id")
);
--> statement-breakpoint
CREATE TABLE "match_evaluations" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "match_evaluations_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"alert_id" bigint NOT NULL,
	"incident_id" bigint,
	"matched_condition_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"evaluated_conditions" bigint DEFAULT 0 NOT NULL,
	"is_matched" boolean DEFAULT false NOT NULL,
	"evaluated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "match_evaluations_alert_id_unique" UNIQUE("alert_id")
);
--> statement-breakpoint
ALTER TABLE "incident_link_keys" ADD CONSTRAINT "incident_link_keys_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "match_evaluations" ADD CONSTRAINT "match_evaluations_alert_id_alerts_id_fk" FOREIGN KEY ("alert_id") REFERENCES "public"."alerts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "match_evaluations" ADD CONSTRAINT "match_evaluations_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "incident_link_keys_incident_idx" ON "incident_link_keys" USING btree ("incident_id");--> statement-breakpoint
CREATE INDEX "match_evaluations_incident_idx" ON "match_evaluations" USING btree ("incident_id");