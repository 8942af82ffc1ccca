import { randomUUID } from 'node:crypto'
import { inArray } from 'drizzle-orm'
import { sha256 } from '../../auth/tokens.ts'
import type { Db } from '../../db/client.ts'
import { apiKeys, apiKeyTeams, teams } from '../../db/schema/index.ts'
import { AppError } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { appendAudit } from '../audit/append-audit.ts'

/**
 * Creates an API key acting with the permissions of `teams`. The key (UUID-shaped, as compatible
 * clients expect; 122 random bits) is returned once and only its SHA-256 is stored.
 *
 * A key carries only teams its creator belongs to: otherwise a key would be a way into a private
 * team (or a permission such as scripts.manage) without the audited join. The system actor (CLI,
 * tests) is exempt.
 * @throws AppError FORBIDDEN without api_keys.manage or for a team the creator is not in,
 *   INVALID_REQUEST for no/unknown teams.
 */
export const createApiKey = async (
  db: Db,
  actor: Actor,
  input: { name: string; teams: string[]; expiresAt?: Date },
) => {
  assertCan(actor, 'api_keys.manage')
  if (!input.name.trim()) throw new AppError('INVALID_REQUEST', 'name: required')
  if (input.teams.length === 0) throw new AppError('INVALID_REQUEST', 'teams: at least one team is required')
  const key = randomUUID()
  return db.transaction(async (tx) => {
    const found = await tx.select().from(teams).where(inArray(teams.name, input.teams))
    const missing = input.teams.filter((n) => !found.some((t) => t.name === n))
    if (missing.length) throw new AppError('INVALID_REQUEST', `teams: unknown team ${missing.join(', ')}`)
    const foreign = actor.kind === 'system' ? [] : found.filter((t) => !actor.teamIds.includes(t.id))
    if (foreign.length)
      throw new AppError(
        'FORBIDDEN',
        `teams: a key can only act for teams you are a member of (not ${foreign.map((t) => t.name).join(', ')})`,
      )
    const [row] = await tx
      .insert(apiKeys)
      .values({
        name: input.name.trim(),
        keyHash: sha256(key),
        prefix: key.slice(0, 8),
        createdBy: actor.userId,
        expiresAt: input.expiresAt,
      })
      .returning()
    await tx.insert(apiKeyTeams).values(found.map((t) => ({ apiKeyId: row!.id, teamId: t.id })))
    await appendAudit(tx, actor, {
      action: 'api_key.create',
      objectType: 'api_key',
      objectId: row!.id,
      after: { name: row!.name, prefix: row!.prefix, teams: input.teams },
    })
    return { key, id: row!.id, name: row!.name, prefix: row!.prefix }
  })
}
