import type { Context } from 'hono'
import type { AppEnv } from '../../../core/src/api/env.ts'
import { paramFields, RESPONSE_ROWS } from '../views/condition-form.ts'

/** GET /match-conditions/params?slot=N&xN.type=T — the parameter fields of a response type (htmx, when the type changes). */
export const conditionParams = (c: Context<AppEnv>) => {
  const slot = Math.min(Math.max(0, Number(c.req.query('slot')) || 0), RESPONSE_ROWS - 1)
  return c.html(paramFields(slot, c.req.query(`x${slot}.type`) ?? '', {}))
}
