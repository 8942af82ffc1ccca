import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createList } from '../../core/src/domain/lists/create-list.ts'
import { createLogger } from '../../core/src/log.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { alertBody, makeJsonSource } from '../harness/intake.ts'

describe('secrets never reach the log', () => {
  let app: TestApp
  let lines: string[] = []

  beforeAll(async () => {
    app = await startTestApp()
    // The real logger, writing to memory instead of stdout; every request of the app logs here.
    app.deps.log = createLogger('info', { write: (line: string) => void lines.push(line) })
  })
  afterAll(async () => {
    await app?.close()
  })

  const requestLines = () => lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request')

  it('request logs redact the token of intake and feed URLs, whatever the answer', async () => {
    lines = []
    const { token, post } = await makeJsonSource(app)
    expect((await post(alertBody())).status).toBe(200)
    expect((await app.api.request(`/threat/json_event/events/${'f'.repeat(43)}`, { method: 'POST' })).status).toBe(404)
    const { feedToken } = await createList(app.deps.db, app.deps.keyring, SYSTEM, {
      name: `feed-${token.slice(0, 6)}`,
      type: 'hash',
    })
    expect((await app.api.request(`/feeds/lists/${feedToken}.txt`)).status).toBe(200)
    expect((await app.api.request('/api/v1/incidents')).status).toBe(401) // other paths stay as they are

    const paths = requestLines().map((l) => l.path)
    expect(paths).toEqual([
      '/threat/json_event/events/[redacted]',
      '/threat/json_event/events/[redacted]',
      '/feeds/lists/[redacted]',
      '/api/v1/incidents',
    ])
    const all = lines.join('\n')
    expect(all).not.toContain(token)
    expect(all).not.toContain(feedToken)
    expect(all).not.toContain('f'.repeat(43))
  })

  it('a failed SQL statement is logged with its SQL and error, never its parameters', async () => {
    lines = []
    const secret = `argon2id$v=19$m=65536$${'s3cr3t'.repeat(4)}`
    const err = await app.deps.db.execute(sql`select ${secret}::int as n`).then(
      () => undefined,
      (e: unknown) => e as Error,
    )
    expect(err).toBeInstanceOf(Error)
    expect(JSON.stringify(Object.entries(err!)) + String(err!.message)).toContain(secret) // the driver carries it
    app.deps.log.child({ requestId: 'req-sql' }).error({ err }, 'unhandled error')

    const [line] = lines.map((l) => JSON.parse(l))
    expect(line.err.message).toContain('select $1::int as n')
    expect(line.err.cause ?? line.err.message).toMatch(/invalid input syntax for type integer/)
    expect(lines.join('\n')).not.toContain('s3cr3t')
  })
})
