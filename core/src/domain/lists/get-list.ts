import { eq } from 'drizzle-orm'
import { getCredential } from '../../crypto/credentials.ts'
import type { Keyring } from '../../crypto/master-secret.ts'
import type { Db } from '../../db/client.ts'
import { lists } from '../../db/schema/index.ts'
import { notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan } from '../../policy/index.ts'
import { feedUrl, presentList } from './create-list.ts'

/** One list, with its feed URL when `withFeedUrl`. @throws AppError FORBIDDEN, NOT_FOUND. */
export const getList = async (
  db: Db,
  keyring: Keyring,
  actor: Actor,
  id: number,
  options: { withFeedUrl?: boolean; publicUrl?: string } = {},
) => {
  assertCan(actor, 'lists.read')
  const [row] = await db.select().from(lists).where(eq(lists.id, id))
  if (!row) throw notFound('list')
  const token = options.withFeedUrl
    ? await getCredential(db, keyring, { ownerKind: 'list', ownerId: id, name: 'feed_token' })
    : undefined
  return { ...presentList(row), feedUrl: token ? feedUrl(options.publicUrl ?? '', token) : undefined }
}
