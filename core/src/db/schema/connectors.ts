import { bigint, boolean, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core'
import { users } from './identity.ts'

/**
 * Connector instances: a kind from the registry (`core/src/connectors/`), its non-secret settings
 * (validated by the kind's schema), and whether it may reach internal addresses (egress policy).
 * Secrets live in `credentials` (owner_kind 'connector', owner_id = id), never here.
 */
export const connectors = pgTable('connectors', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  kind: text('kind').notNull(),
  name: text('name').notNull().unique(),
  settings: jsonb('settings').notNull().default({}),
  isEnabled: boolean('is_enabled').notNull().default(true),
  isOnPremises: boolean('is_on_premises').notNull().default(false),
  lastTestedAt: timestamp('last_tested_at', { withTimezone: true }),
  lastTestOk: boolean('last_test_ok'),
  lastTestMessage: text('last_test_message'),
  createdBy: bigint('created_by', { mode: 'number' }).references(() => users.id, { onDelete: 'set null' }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
})
