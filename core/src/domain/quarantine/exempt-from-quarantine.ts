import { and, eq, gt, isNull, or, sql } from 'drizzle-orm'
import type { Db, DbOrTx } from '../../db/client.ts'
import { listMembers, lists } from '../../db/schema/index.ts'
import type { Actor } from '../../policy/actor.ts'
import { addMember } from '../lists/add-list-member.ts'

/** The built-in e-mail list whose members (mailboxes, distribution lists, groups) quarantine never touches. */
export const EXEMPTIONS_LIST = 'Quarantine exemptions'

/** The exemptions list's id, created (type email, no feed) the first time it is needed. */
export const exemptionsListId = async (db: DbOrTx): Promise<number> => {
  await db
    .insert(lists)
    .values({ name: EXEMPTIONS_LIST, type: 'email', description: 'Addresses quarantine never touches (whitelist)' })
    .onConflictDoNothing()
  const [row] = await db
    .select({ id: lists.id })
    .from(lists)
    .where(eq(sql`lower(${lists.name})`, EXEMPTIONS_LIST.toLowerCase()))
  return row!.id
}

/** Every exempt address (lower-case; expired members left out). */
export const readExemptions = async (db: DbOrTx): Promise<Set<string>> => {
  const id = await exemptionsListId(db)
  const rows = await db
    .select({ value: listMembers.value })
    .from(listMembers)
    .where(and(eq(listMembers.listId, id), or(isNull(listMembers.expiresAt), gt(listMembers.expiresAt, sql`now()`))))
  return new Set(rows.map((r) => r.value.toLowerCase()))
}

/**
 * Exempts addresses from quarantine (e.g. every abuse mailbox, called by that feature with the
 * system actor). Adding an address already on the list is a no-op; each addition is audited as a
 * list change. @throws AppError FORBIDDEN without lists.write; INVALID_REQUEST for a non-address
 */
export const exemptFromQuarantine = async (db: Db, actor: Actor, addresses: string[], description = '') => {
  const id = await exemptionsListId(db)
  for (const member of addresses) await addMember(db, actor, id, { member, description })
}
