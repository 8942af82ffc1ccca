import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { AppError } from '../../errors.ts'
import { findUnstorable } from '../../storable.ts'
import type { AppEnv } from '../env.ts'

/**
 * Refuses a query string holding text PostgreSQL cannot store or compare (NUL, an unpaired
 * surrogate; storable.ts) with a 400 naming the parameter, on every route of the app — the REST
 * API, the analyst pages and the console alike — before any handler reads it.
 */
export const storableQuery = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.url.includes('?')) {
    const problem = findUnstorable(c.req.queries(), '')
    if (problem) throw new AppError('INVALID_REQUEST', `${problem.at.replace(/\[\d+\]$/, '')}: ${problem.message}`)
  }
  await next()
})

/**
 * The same check for the route's path parameters (`guard()` calls it, so every route has it; a
 * param is only known once the route matched). @throws AppError INVALID_REQUEST naming the parameter.
 */
export const assertStorableParams = (c: Context) => {
  const problem = findUnstorable(c.req.param(), '')
  if (problem) throw new AppError('INVALID_REQUEST', `${problem.at}: ${problem.message}`)
}
