import { eq } from 'drizzle-orm'
import type { Db } from '../../db/client.ts'
import { attachments, incidents, investigations } from '../../db/schema/index.ts'
import { notFound } from '../../errors.ts'
import type { Actor } from '../../policy/actor.ts'
import { assertCan, assertVisible } from '../../policy/index.ts'
import { openBlob } from './blob-store.ts'

/** An attachment's metadata and bytes, when its incident/investigation is visible. @throws AppError FORBIDDEN, NOT_FOUND. */
export const getAttachment = async (db: Db, actor: Actor, id: number, dataDir: string) => {
  const [row] = await db.select().from(attachments).where(eq(attachments.id, id))
  if (!row) throw notFound('attachment')
  if (row.incidentId) {
    assertCan(actor, 'incidents.read')
    const [i] = await db.select().from(incidents).where(eq(incidents.id, row.incidentId))
    assertVisible(actor, i, 'attachment')
  } else {
    assertCan(actor, 'investigations.read')
    const [i] = await db.select().from(investigations).where(eq(investigations.id, row.investigationId!))
    assertVisible(actor, i, 'attachment')
  }
  const blob = openBlob(dataDir, row.sha256)
  if (!blob) throw notFound('attachment content')
  return { attachment: row, blob }
}
