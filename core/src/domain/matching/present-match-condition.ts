import type { matchConditions } from '../../db/schema/index.ts'
import type { Condition } from './condition-model.ts'
import type { ResponseSpec } from './match-condition-input.ts'

/** The API/export shape of a match condition. */
export const presentMatchCondition = (row: typeof matchConditions.$inferSelect) => ({
  id: row.id,
  sourceId: row.sourceId,
  position: row.position,
  name: row.name,
  description: row.description,
  condition: row.condition as Condition,
  responses: row.responses as ResponseSpec[],
  isAutomatic: row.isAutomatic,
  isEnabled: row.isEnabled,
  continueAfterMatch: !row.stopProcessing,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
})
