import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { Hono } from 'hono'
import { expect, it, describe as suite } from 'vitest'
import { z } from 'zod'
import { output } from '../describe.ts'
import type { AppEnv, Deps } from '../env.ts'
import { apiRoutes } from '../routes.ts'
import { buildOpenApi, collectOperations, jsonSchemaOf } from './build.ts'
import { openapiApi } from './index.ts'

type Op = {
  parameters: { name: string; in: string }[]
  requestBody?: { content: Record<string, { schema: unknown }> }
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>
}
const doc = buildOpenApi(apiRoutes.routes)
const opOf = (method: string, p: string) =>
  (doc.paths[p.replace(/:([A-Za-z_]+)/g, '{$1}')] as Record<string, Op> | undefined)?.[method.toLowerCase()]
const operations = collectOperations(apiRoutes.routes)

/** Writes that legitimately carry no body: the path says everything. */
const BODYLESS = new Set([
  'POST /api/v1/jobs/:queue/:id/retry',
  'POST /api/v1/connectors/:id/test',
  'POST /api/v1/abuse-mailboxes/:id/test',
  'POST /api/v1/response-runs/:id/press',
  'POST /api/v1/response-runs/:id/approve',
  'POST /api/v1/response-runs/:id/reject',
  'POST /api/v1/response-runs/:id/undo',
  'PUT /api/v1/teams/:team/members/:username',
])

suite('OpenAPI document', () => {
  it('describes every operation (native, compatible, intake, feeds) with a summary and its success answer', () => {
    expect(operations.length).toBeGreaterThan(40)
    for (const op of operations) {
      const label = `${op.method} ${op.path}`
      const described = opOf(op.method, op.path) as (Op & { summary: string }) | undefined
      expect(described, label).toBeDefined()
      expect(described!.summary, `${label} has no summary in summaries.ts`).not.toBe(
        `${op.method} ${op.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`,
      )
      const success = Object.entries(described!.responses).filter(([status]) => status.startsWith('2'))
      expect(success, `${label} declares no answer: add output() or produces()`).toHaveLength(1)
      expect(Object.values(success[0]![1].content ?? {}), label).toHaveLength(1)
    }
  })

  it('describes each request with exactly the schema the route validates with', () => {
    let compared = 0
    for (const op of operations) {
      const label = `${op.method} ${op.path}`
      const described = opOf(op.method, op.path)!
      for (const d of op.describes) {
        if (d.kind !== 'request') continue
        compared++
        if (d.target === 'json') {
          expect(described.requestBody?.content['application/json']?.schema, label).toEqual(
            jsonSchemaOf(d.schema, 'input'),
          )
        } else {
          const keys = Object.keys((jsonSchemaOf(d.schema, 'input') as { properties: object }).properties).sort()
          const where = d.target === 'param' ? 'path' : d.target
          expect(
            described.parameters
              .filter((p) => p.in === where)
              .map((p) => p.name)
              .sort(),
            label,
          ).toEqual(keys)
        }
      }
      if (['POST', 'PUT', 'PATCH'].includes(op.method) && !BODYLESS.has(label))
        expect(described.requestBody, `${label} reads a body the document does not describe`).toBeDefined()
    }
    expect(compared).toBeGreaterThan(20)
  })

  it('native route modules read input only through input() (so the document sees every schema)', () => {
    const api = path.join(import.meta.dirname, '..')
    const native = readdirSync(api, { withFileTypes: true })
      .filter(
        (e) => e.isDirectory() && !['compat', 'intake', 'feeds', 'metrics', 'openapi', 'middleware'].includes(e.name),
      )
      .map((e) => path.join(api, e.name, 'index.ts'))
    expect(native.length).toBeGreaterThan(8)
    for (const file of native) {
      const src = readFileSync(file, 'utf8')
      for (const bypass of ['c.req.query(', 'c.req.queries(', 'c.req.json(', 'jsonBody(', 'parseOr400('])
        expect(src.includes(bypass), `${path.relative(api, file)} uses ${bypass}`).toBe(false)
    }
  })

  it('every $ref resolves and the served document is the generated one', async () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]!)
    expect(refs.length).toBeGreaterThan(0)
    for (const r of refs) expect(doc.components.schemas, r).toHaveProperty(r)
    const served = await (await openapiApi.request('/api/openapi.json')).json()
    expect(served).toEqual(JSON.parse(JSON.stringify(doc)))
  })
})

suite('output() in test apps', () => {
  const probe = (checkResponses: boolean, status: 200 | 201, body: unknown) => {
    const app = new Hono<AppEnv>()
    app.use('*', async (c, next) => {
      c.set('deps', { checkResponses } as Deps)
      await next()
    })
    app.get('/x', output(200, z.strictObject({ data: z.strictObject({ name: z.string() }) })), (c) =>
      c.json(body, status),
    )
    return app.request('/x')
  }

  it('turns an answer that breaks its declared schema into a 500 naming the field', async () => {
    const res = await probe(true, 200, { data: { name: 7 } })
    expect(res.status).toBe(500)
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/data\.name: /)
    expect((await probe(true, 200, { data: { name: 'x', extra: 1 } })).status).toBe(500)
    expect((await probe(true, 201, { data: { name: 'x' } })).status).toBe(500)
  })

  it('passes a matching answer, and checks nothing outside test apps', async () => {
    expect((await probe(true, 200, { data: { name: 'x' } })).status).toBe(200)
    expect((await probe(false, 200, { data: { name: 7 } })).status).toBe(200)
  })
})
