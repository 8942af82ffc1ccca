import { and, count, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditLog, incidents } from '../../core/src/db/schema/index.ts'
import { setMembership } from '../../core/src/domain/teams/set-membership.ts'
import { loadUserActor } from '../../core/src/domain/users/load-user-actor.ts'
import { assertVisible, visibleWhere } from '../../core/src/policy/index.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeTeam, makeUser } from '../harness/factories.ts'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(() => t.close())

describe('teams and private teams', () => {
  it('give a member of several teams the union of their permissions', async () => {
    const { db } = t.deps
    const a = await makeTeam(db, { permissions: ['incidents.read'] })
    const b = await makeTeam(db, { permissions: ['lists.write'] })
    const { actor } = await makeUser(db, [a.name, b.name])
    expect([...actor.permissions].sort()).toEqual(['incidents.read', 'lists.write'])
    expect(actor.teamIds.sort()).toEqual([a.id, b.id].sort())
  })

  it("hide a private team's incidents from admins until they join, and audit the join", async () => {
    const { db } = t.deps
    const secret = await makeTeam(db, { isPrivate: true, permissions: ['incidents.read'] })
    const { user, actor: admin } = await makeUser(db, ['Admins'])
    const [priv] = await db
      .insert(incidents)
      .values({ summary: 'hr case', isPrivate: true, teamId: secret.id })
      .returning()
    await db.insert(incidents).values({ summary: 'public case' })

    const visibleCount = async (a: typeof admin) =>
      (await db.select({ n: count() }).from(incidents).where(visibleWhere(a, incidents)))[0]!.n
    const total = (await db.select({ n: count() }).from(incidents))[0]!.n
    expect(await visibleCount(admin)).toBe(total - 1)
    expect(() => assertVisible(admin, priv, 'incident')).toThrow(/not found/)

    await setMembership(db, admin, { team: secret.name, username: user.username, member: true })
    const joined = await loadUserActor(db, user)
    expect(await visibleCount(joined)).toBe(total)
    expect(assertVisible(joined, priv, 'incident').summary).toBe('hr case')
    const audit = await db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'team.self_join_private'), eq(auditLog.objectId, String(secret.id))))
    expect(audit).toHaveLength(1)
    expect(audit[0]!.actorUserId).toBe(user.id)
  })

  it('are managed through the API by team admins only', async () => {
    const { db } = t.deps
    const { actor: analyst } = await makeUser(db, ['Analysts'])
    await expect(setMembership(db, analyst, { team: 'Admins', username: analyst.label, member: true })).rejects.toThrow(
      /teams.manage/,
    )
  })
})
