import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { appendAudit } from '../../core/src/domain/audit/append-audit.ts'
import { verifyAudit } from '../../core/src/domain/audit/verify-audit.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { createTestDb, type TestDb } from '../harness/db.ts'

let t: TestDb
beforeAll(async () => {
  t = await createTestDb()
})
afterAll(() => t.drop())

const append = (n: number) =>
  Promise.all(
    Array.from({ length: n }, (_, i) =>
      t.db.transaction((tx) =>
        appendAudit(
          tx,
          { ...SYSTEM, label: 'tester' },
          { action: 'test.event', objectType: 'thing', objectId: i, after: { i, nested: { b: 2, a: 1 } } },
        ),
      ),
    ),
  )

/** Tampering needs superuser rights and the trigger disabled, as an attacker with DB access would do. */
const tamper = (statement: ReturnType<typeof sql>) =>
  t.db.transaction(async (tx) => {
    await tx.execute(sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`)
    await tx.execute(statement)
    await tx.execute(sql`ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update`)
  })

describe('audit log', () => {
  it('keeps one unbroken chain under concurrent appends', async () => {
    await append(40)
    expect(await verifyAudit(t.db, 7)).toEqual({ ok: true, records: 40 })
  })

  it('refuses UPDATE and DELETE inside the database', async () => {
    const refusal = { cause: { message: 'audit_log is append-only' } }
    await expect(t.db.execute(sql`UPDATE audit_log SET action = 'x' WHERE id = 1`)).rejects.toMatchObject(refusal)
    await expect(t.db.execute(sql`DELETE FROM audit_log WHERE id = 1`)).rejects.toMatchObject(refusal)
    await expect(t.db.execute(sql`TRUNCATE audit_log`)).rejects.toMatchObject(refusal)
  })

  it('detects an edited record', async () => {
    await tamper(sql`UPDATE audit_log SET after = '{"i": 999}' WHERE id = 10`)
    expect(await verifyAudit(t.db)).toMatchObject({ ok: false, brokenAt: 10, reason: 'this record was edited' })
  })

  it('detects a deleted record', async () => {
    const fresh = await createTestDb()
    try {
      await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          fresh.db.transaction((tx) => appendAudit(tx, SYSTEM, { action: 'test.event', objectId: i })),
        ),
      )
      await fresh.db.transaction(async (tx) => {
        await tx.execute(sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`)
        await tx.execute(sql`DELETE FROM audit_log WHERE id = 3`)
        await tx.execute(sql`ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update`)
      })
      expect(await verifyAudit(fresh.db)).toMatchObject({ ok: false, brokenAt: 4 })
    } finally {
      await fresh.drop()
    }
  })
})
