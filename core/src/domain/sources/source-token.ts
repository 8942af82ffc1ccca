import { eq } from 'drizzle-orm'
import { sha256 } from '../../auth/tokens.ts'
import type { Db } from '../../db/client.ts'
import { sources } from '../../db/schema/index.ts'
import { type LinkingRules, linkingRulesOf } from '../alerts/link-key.ts'

export type TokenSource = { id: number; name: string; type: string; isEnabled: boolean; rules: LinkingRules }

const TTL_MS = 5_000
const cache = new Map<string, { at: number; source: TokenSource | null }>()

/**
 * Finds the source a JSON intake token belongs to, by the token's SHA-256. Cached for 5 s per
 * process so sustained intake does not query per alert; a change made in this process (disable,
 * rotate) clears the cache at once, other processes see it within 5 s.
 */
export const resolveSourceToken = async (db: Db, token: string): Promise<TokenSource | null> => {
  const hash = sha256(token)
  const hit = cache.get(hash)
  if (hit && performance.now() - hit.at < TTL_MS) return hit.source
  const [row] = await db.select().from(sources).where(eq(sources.tokenHash, hash))
  const source = row
    ? { id: row.id, name: row.name, type: row.type, isEnabled: row.isEnabled, rules: linkingRulesOf(row.linkingRules) }
    : null
  if (cache.size > 10_000) cache.clear()
  cache.set(hash, { at: performance.now(), source })
  return source
}

export const forgetSourceTokens = () => cache.clear()
