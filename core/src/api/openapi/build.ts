import { z } from 'zod'
import type { Description } from '../describe.ts'
import type { Access } from '../middleware/auth.ts'
import { ZError } from '../schemas.ts'
import { SUMMARIES } from './summaries.ts'

type RouteLike = { method: string; path: string; handler: unknown }
type Operation = { method: string; path: string; access?: Access; describes: Description[] }

/** Which paths the document covers: the native API, the compatible paths, intake and feeds. */
const DOCUMENTED = /^\/(api|threat|feeds)\//

/** Every guarded documented route with what its middlewares describe, in registration order. */
export const collectOperations = (routes: RouteLike[]): Operation[] => {
  const ops = new Map<string, Operation>()
  for (const r of routes) {
    if (r.method === 'ALL' || !DOCUMENTED.test(r.path)) continue
    const key = `${r.method} ${r.path}`
    const op = ops.get(key) ?? { method: r.method, path: r.path, describes: [] }
    const h = r.handler as { access?: Access; describes?: Description }
    if (h.access) op.access = h.access
    if (h.describes) op.describes.push(h.describes)
    ops.set(key, op)
  }
  return [...ops.values()].filter((op) => op.access)
}

/** A zod schema as OpenAPI 3.1 (JSON Schema 2020-12) sees it: request schemas as input, answers as output. */
export const jsonSchemaOf = (schema: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', override: tidy }) as Record<
    string,
    unknown
  >
  return rest
}

/** Drops what only repeats the format: zod's date-time regex and the safe-integer bounds of every int. */
const tidy = ({ jsonSchema: js }: { jsonSchema: Record<string, unknown> }) => {
  if (js.format === 'date-time') delete js.pattern
  if (js.type === 'integer') {
    if (js.minimum === Number.MIN_SAFE_INTEGER) delete js.minimum
    if (js.maximum === Number.MAX_SAFE_INTEGER) delete js.maximum
  }
}

const ERROR_REF = { $ref: '#/components/schemas/Error' }
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ERROR_REF } } })

const parametersOf = (op: Operation, path: string) => {
  const byTarget = (t: string) =>
    op.describes.find((d): d is Extract<Description, { kind: 'request' }> => d.kind === 'request' && d.target === t)
  const fromSchema = (where: 'path' | 'query', schema: z.ZodType) => {
    const js = jsonSchemaOf(schema, 'input') as {
      properties?: Record<string, Record<string, unknown>>
      required?: string[]
    }
    return Object.entries(js.properties ?? {}).map(([name, s]) => {
      const { description, ...rest } = s
      return {
        name,
        in: where,
        required: where === 'path' || (js.required ?? []).includes(name),
        ...(description ? { description } : {}),
        schema: rest,
      }
    })
  }
  const param = byTarget('param')
  const pathParams = param
    ? fromSchema('path', param.schema)
    : [...path.matchAll(/\{([A-Za-z_]+)\}/g)].map((m) => ({
        name: m[1],
        in: 'path',
        required: true,
        schema: /id$/i.test(m[1]!) ? { type: 'integer', minimum: 1 } : { type: 'string' },
      }))
  const query = byTarget('query')
  return [...pathParams, ...(query ? fromSchema('query', query.schema) : [])]
}

const requestBodyOf = (op: Operation) => {
  const content: Record<string, unknown> = {}
  let description: string | undefined
  for (const d of op.describes) {
    if (d.kind === 'request' && (d.target === 'json' || d.target === 'form'))
      content[d.target === 'json' ? 'application/json' : 'application/x-www-form-urlencoded'] = {
        schema: jsonSchemaOf(d.schema, 'input'),
      }
    if (d.kind === 'accepts') {
      content[d.contentType] = { schema: d.schema }
      description = d.description
    }
  }
  return Object.keys(content).length ? { required: true, ...(description ? { description } : {}), content } : undefined
}

const successOf = (op: Operation) => {
  for (const d of op.describes) {
    if (d.kind === 'response')
      return {
        [String(d.status)]: {
          description: 'OK',
          content: { 'application/json': { schema: jsonSchemaOf(d.schema, 'output') } },
        },
      }
    if (d.kind === 'produces')
      return {
        '200': {
          description: d.description,
          content: { [d.contentType]: { schema: { type: 'string', contentMediaType: d.contentType } } },
        },
      }
  }
  return undefined
}

/**
 * The OpenAPI 3.1 document of the native API, built from the live route table: paths from the
 * routes, request bodies and query parameters from the zod schemas their `input()` validators
 * parse with, answers from their `output()` declarations. Nothing is written twice, so nothing
 * can drift (openapi.test.ts also fails on an operation that declares no answer).
 */
export const buildOpenApi = (routes: RouteLike[]) => {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const op of collectOperations(routes)) {
    const access = op.access!
    const path = op.path.replace(/:([A-Za-z_]+)/g, '{$1}')
    const body = requestBodyOf(op)
    const responses: Record<string, unknown> = {
      ...successOf(op),
      ...(body || op.describes.some((d) => d.kind === 'request')
        ? { '400': errorResponse('Invalid request; error.message starts with the field it is about') }
        : {}),
      ...(access.auth === 'actor' ? { '401': errorResponse('No or invalid API key or session') } : {}),
      ...(access.auth === 'actor' && access.permission
        ? { '403': errorResponse(`Missing permission ${access.permission}`) }
        : {}),
      ...(path.includes('{') || access.auth === 'token'
        ? { '404': errorResponse('Not found (also: private to a team you are not in)') }
        : {}),
      ...(['POST', 'PUT', 'PATCH', 'DELETE'].includes(op.method)
        ? { '409': errorResponse('Conflicts with the current state (error.message says why)') }
        : {}),
    }
    paths[path] ??= {}
    paths[path][op.method.toLowerCase()] = {
      summary: SUMMARIES[`${op.method} ${path}`] ?? `${op.method} ${path}`,
      parameters: parametersOf(op, path),
      ...(body ? { requestBody: body } : {}),
      security: access.auth === 'actor' ? [{ apiKey: [] }, { session: [] }] : [],
      ...(access.auth === 'actor' && access.permission ? { 'x-permission': access.permission } : {}),
      ...(access.auth === 'actor' && access.object ? { 'x-private-object': access.object } : {}),
      responses,
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Clawback API',
      version: '1',
      description:
        'The native JSON API (/api/v1), the compatible paths (/api/incidents, /api/lists), JSON alert intake (/threat/json_event) and list feeds (/feeds/lists).',
    },
    components: {
      schemas: { Error: jsonSchemaOf(ZError, 'output') },
      securitySchemes: {
        apiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'the raw API key (Bearer also accepted)',
        },
        session: { type: 'apiKey', in: 'cookie', name: 'clawback_session' },
      },
    },
    paths,
  }
}
