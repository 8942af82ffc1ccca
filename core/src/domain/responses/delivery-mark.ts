import { eq } from 'drizzle-orm'
import { responseRuns } from '../../db/schema/index.ts'
import type { ResponseContext } from './response-type.ts'

/** What a run records while it hands something to a peer that cannot be asked afterwards. */
export type DeliveryMark = { delivery: 'sending'; ref: string }

/**
 * At most once for deliveries (an e-mail, a webhook): the run commits this mark before the first
 * byte goes out and clears it when the peer's answer (or a failure) is known; the final result
 * replaces it. A retry that still finds the mark knows an earlier attempt died between handing the
 * delivery over and recording the answer, and must not deliver again.
 */
export const markDelivery = (ctx: Pick<ResponseContext, 'db' | 'runId'>, mark: DeliveryMark | null) =>
  ctx.db.update(responseRuns).set({ result: mark }).where(eq(responseRuns.id, ctx.runId))

/** The mark an earlier attempt of this run left, if it died inside its delivery. */
export const readDeliveryMark = async (ctx: Pick<ResponseContext, 'db' | 'runId'>) => {
  const [row] = await ctx.db
    .select({ result: responseRuns.result })
    .from(responseRuns)
    .where(eq(responseRuns.id, ctx.runId))
  const result = row?.result as Partial<DeliveryMark> | null | undefined
  return result?.delivery === 'sending' ? (result as DeliveryMark) : null
}
