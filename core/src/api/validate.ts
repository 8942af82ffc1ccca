import type { ValidationTargets } from 'hono'
import { createMiddleware } from 'hono/factory'
import { validator } from 'hono/validator'
import { z } from 'zod'
import { AppError } from '../errors.ts'
import { fieldNameProblem, MAX_ID, readDate, textProblem } from '../storable.ts'
import { parseOr400 } from '../validation/parse-input.ts'
import { describe } from './describe.ts'
import type { AppEnv } from './env.ts'

export { parseOr400 }

/**
 * Parses request input with a zod schema; the first issue becomes one 400 naming the field (never
 * echoing the value). The schema travels with the middleware: the OpenAPI document describes the
 * request from exactly the schema that parses it.
 */
export const input = <T extends keyof ValidationTargets, S extends z.ZodType>(target: T, schema: S) =>
  describe(
    validator(target, (value): z.infer<S> => parseOr400(schema, value, target)),
    { kind: 'request', target, schema },
  )

/**
 * `input('json', schema)` for compatible paths, whose clients may send JSON without a JSON content
 * type, or no body at all (read as `{}`). Same 400 naming the field; `.of(c)` gives the parsed body.
 */
export const lenientJson = <S extends z.ZodType>(schema: S) =>
  Object.assign(
    describe(
      createMiddleware<AppEnv>(async (c, next) => {
        c.set('lenientBody', parseOr400(schema, await jsonBody(c.req)))
        await next()
      }),
      { kind: 'request', target: 'json', schema },
    ),
    { of: (c: { var: { lenientBody: unknown } }) => c.var.lenientBody as z.infer<S> },
  )

/** Reads a JSON body, tolerating an empty body (as `{}`); a malformed body is a clear 400. */
export const jsonBody = async (req: Request | { text: () => Promise<string> }): Promise<unknown> => {
  const text = await req.text()
  if (!text.trim()) return {}
  try {
    return JSON.parse(text)
  } catch {
    throw new AppError('INVALID_REQUEST', 'body: not valid JSON')
  }
}

/*
 * The primitives request schemas are built from (so a new route inherits the same limits):
 * `text` for strings, `id`/`idQuery` for ids (bigint-safe), `date` for dates (PostgreSQL's range).
 */

/** A string of at most `max` characters that PostgreSQL can store (no NUL, no unpaired surrogate). */
export const text = (max: number) =>
  z
    .string()
    .max(max)
    .superRefine((s, ctx) => {
      const problem = textProblem(s)
      if (problem) ctx.addIssue({ code: 'custom', message: problem })
    })

/** An incident field name (also as a record key): `text(100)`, not empty, not a reserved name (`__proto__`, ...). */
export const fieldName = () =>
  text(100)
    .min(1)
    .superRefine((s, ctx) => {
      const problem = fieldNameProblem(s)
      if (problem) ctx.addIssue({ code: 'custom', message: problem })
    })

/** A positive integer id in a JSON body (≤ 2^53 - 1: inside bigint, exact in JS). */
export const id = () => z.number().int().positive().max(MAX_ID)

/** A positive integer id as a query value or JSON string ("42"); anything else is a 400. */
export const idQuery = () =>
  z
    .union([z.number(), z.string().regex(/^\d{1,16}$/, 'expected a positive integer id')])
    .transform(Number)
    .pipe(id())

/** A count (limit, page size) given as a query value: digits, clamped to 1..max (tolerant, never huge). */
export const countQuery = (max: number) =>
  z
    .string()
    .regex(/^\d{1,1000}$/, 'expected a whole number')
    .transform((v) => Math.max(1, Math.min(Number(v), max)))

/**
 * A date as clients send it (`2020-02-22`, or ISO-8601 with fraction/offset; see storable.ts
 * readDate) within PostgreSQL's range, parsed to a Date.
 */
export const date = () =>
  z
    .string()
    .max(64)
    .transform((raw, ctx) => {
      const d = readDate(raw)
      if (typeof d === 'string') {
        ctx.addIssue({ code: 'custom', message: d })
        return z.NEVER
      }
      return d
    })
    .meta({ description: 'ISO-8601 date or time (2020-02-22, 2020-02-22T10:00:00Z)', format: 'date-time' })
