import { bigint, customType, index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { users } from './identity.ts'

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' })

/** Plain settings (non-secret), one JSON value per key. */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  updatedBy: bigint('updated_by', { mode: 'number' }).references(() => users.id, { onDelete: 'set null' }),
})

/**
 * Every stored secret (connector passwords, tokens, source tokens): AES-256-GCM under a key derived
 * from the master secret; `key_id` names the derivation so rotation can re-encrypt row by row.
 */
export const credentials = pgTable(
  'credentials',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    ownerKind: text('owner_kind').notNull(),
    ownerId: text('owner_id').notNull(),
    name: text('name').notNull(),
    keyId: text('key_id').notNull(),
    ciphertext: bytea('ciphertext').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('credentials_owner_key').on(t.ownerKind, t.ownerId, t.name)],
)

/**
 * Append-only, hash-chained audit log: `hash = sha256(prev_hash || canonical(row))`.
 * UPDATE and DELETE are refused by a trigger (see the migration); `clawbackctl audit verify`
 * recomputes the chain.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull(),
    actorUserId: bigint('actor_user_id', { mode: 'number' }),
    actorLabel: text('actor_label').notNull(),
    action: text('action').notNull(),
    objectType: text('object_type'),
    objectId: text('object_id'),
    before: jsonb('before'),
    after: jsonb('after'),
    ip: text('ip'),
    requestId: text('request_id'),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [index('audit_log_at_idx').on(t.at), index('audit_log_object_idx').on(t.objectType, t.objectId)],
)

export { bytea }
