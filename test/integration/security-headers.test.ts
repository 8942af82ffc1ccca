import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeUser, PASSWORD, signInAs } from '../harness/factories.ts'

const HEADERS = ['content-security-policy', 'x-frame-options', 'x-content-type-options', 'referrer-policy'] as const

describe('security headers on both web ports', () => {
  let app: TestApp
  let analyst: { cookie: string }
  let console: { cookie: string }

  beforeAll(async () => {
    app = await startTestApp()
    const admin = (await makeUser(app.deps.db, ['Admins'])).user.username
    analyst = await signInAs(app.api, admin, PASSWORD)
    console = await signInAs(app.console, admin, PASSWORD)
  })
  afterAll(async () => {
    await app?.close()
  })

  const headersOf = (res: Response) => Object.fromEntries(HEADERS.map((h) => [h, res.headers.get(h)]))

  it('the management console forbids framing, sniffing and foreign scripts exactly like the analyst UI', async () => {
    const reference = headersOf(await app.api.request('/login'))
    expect(reference['content-security-policy']).toContain("frame-ancestors 'none'")
    expect(reference['content-security-policy']).toContain("script-src 'self'")
    expect(reference['x-frame-options']).toBe('DENY')
    expect(reference['x-content-type-options']).toBe('nosniff')

    // Sign-in, the pages that restore backups and rotate the master secret, and an error page.
    for (const [path, cookie] of [
      ['/login', ''],
      ['/', console.cookie],
      ['/backups', console.cookie],
      ['/secret', console.cookie],
      ['/upgrade', console.cookie],
      ['/no-such-page', console.cookie],
    ] as const) {
      const res = await app.console.request(path, { headers: { cookie } })
      expect(res.headers.get('content-type'), path).toMatch(/^text\/html/)
      expect(headersOf(res), path).toEqual(reference)
    }
    // ...and the console's pages still work under that policy: no inline script, handler or style.
    for (const path of ['/backups', '/upgrade', '/secret', '/agent']) {
      const body = await (await app.console.request(path, { headers: { cookie: console.cookie } })).text()
      expect(body, path).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>|\son[a-z]+=|\sstyle="/i)
    }
    // The analyst UI keeps them on its own signed-in pages and its HTML error pages.
    for (const path of ['/', '/no-such-page']) {
      const res = await app.api.request(path, { headers: { cookie: analyst.cookie } })
      expect(headersOf(res), path).toEqual(reference)
    }
  })
})
