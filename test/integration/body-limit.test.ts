import type { AddressInfo } from 'node:net'
import net from 'node:net'
import { serve } from '@hono/node-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ANONYMOUS_BODY_BYTES } from '../../core/src/api/body-limit.ts'
import { createSource } from '../../core/src/domain/sources/create-source.ts'
import { SYSTEM } from '../../core/src/policy/actor.ts'
import { startTestApp, type TestApp } from '../harness/app.ts'
import { makeApiKey } from '../harness/factories.ts'

const MAX_BODY = 64 * 1024
const MAX_ATTACHMENT = 1024 * 1024

type Sent = { head: string; sentBeforeAnswer: number; sentTotal: number; closed: boolean; rssGrowth: number }

/**
 * Sends a request over a real socket: the head, then (if `chunked`) 64 KiB chunks as fast as the
 * connection takes them until the server answers and closes, or `total` bytes went out.
 */
const send = (port: number, head: string, total: number, chunked = true) =>
  new Promise<Sent>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    let answer = ''
    let sent = 0
    let sentBeforeAnswer = -1
    let isDone = false
    const rss = process.memoryUsage().rss
    let rssPeak = rss
    const chunk = Buffer.alloc(64 * 1024, 'a')
    const frame = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])
    const pump = () => {
      while (!isDone && sentBeforeAnswer < 0 && sent < total) {
        sent += chunk.length
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss)
        if (!socket.write(frame)) return void socket.once('drain', pump)
      }
    }
    socket.on('data', (d) => {
      if (sentBeforeAnswer < 0) sentBeforeAnswer = sent
      answer += d.toString('latin1')
    })
    socket.on('error', () => {}) // EPIPE/ECONNRESET once the server has closed: expected
    socket.on('close', () => {
      isDone = true
      resolve({ head: answer, sentBeforeAnswer, sentTotal: sent, closed: true, rssGrowth: rssPeak - rss })
    })
    socket.once('connect', () => {
      socket.write(head)
      if (chunked) pump()
    })
    setTimeout(() => reject(new Error(`no close after ${sent} bytes; answer so far: ${answer.slice(0, 200)}`)), 30_000)
  })

describe('request bodies are limited while they are read', () => {
  let app: TestApp
  let api: ReturnType<typeof serve>
  let consolePort: ReturnType<typeof serve>
  let apiKey: string
  let sourceId: number
  let incidentId: number
  const port = (s: ReturnType<typeof serve>) => (s.address() as AddressInfo).port
  const listen = async (fetch: (r: Request, env: unknown) => Response | Promise<Response>) => {
    const s = serve({ fetch, hostname: '127.0.0.1', port: 0 })
    await new Promise((r) => s.once('listening', r))
    return s
  }

  beforeAll(async () => {
    app = await startTestApp({
      CLAWBACK_MAX_BODY_BYTES: String(MAX_BODY),
      CLAWBACK_MAX_ATTACHMENT_BYTES: String(MAX_ATTACHMENT),
    })
    api = await listen(app.api.fetch)
    consolePort = await listen(app.console.fetch)
    apiKey = await makeApiKey(app.deps.db, ['Admins'])
    const [incident] = (await app.deps.db
      .$client`INSERT INTO incidents (summary) VALUES ('x') RETURNING id`) as unknown as [{ id: number }]
    incidentId = Number(incident.id)
    sourceId = (await createSource(app.deps.db, app.deps.keyring, SYSTEM, { name: 'csv', type: 'csv' })).source.id
  })
  afterAll(async () => {
    for (const s of [api, consolePort]) await new Promise((r) => s?.close(r))
    await app?.close()
  })

  const chunkedHead = (path: string, type: string, auth = '') =>
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${type}\r\nTransfer-Encoding: chunked\r\n${auth ? `Authorization: ${auth}\r\n` : ''}\r\n`

  it('sign-in form with a never-ending chunked body: 413 after a few KB, connection closed, nothing buffered', {
    timeout: 40_000,
  }, async () => {
    const r = await send(port(api), chunkedHead('/login', 'application/x-www-form-urlencoded'), 400 * 1024 * 1024)
    expect(r.head).toMatch(/^HTTP\/1\.1 413 /)
    expect(r.head).toMatch(/\r\nconnection: close\r\n/i)
    expect(r.head).toContain(`larger than ${ANONYMOUS_BODY_BYTES} bytes`)
    expect(r.closed).toBe(true)
    // the answer came while the client was still sending, long before the 400 MB it meant to send
    expect(r.sentBeforeAnswer).toBeGreaterThan(ANONYMOUS_BODY_BYTES)
    expect(r.sentTotal).toBeLessThan(32 * 1024 * 1024)
    expect(r.rssGrowth).toBeLessThan(64 * 1024 * 1024)
  })

  it('a declared Content-Length beyond the limit is refused before a byte of the body is sent', async () => {
    for (const [s, path] of [
      [api, '/login'],
      [consolePort, '/login'],
      [consolePort, '/backups/upload'], // console uploads before sign-in get a few KB too
    ] as const) {
      const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 419430400\r\n\r\n`
      const r = await send(port(s), head, 0, false)
      expect(r.head, path).toMatch(/^HTTP\/1\.1 413 /)
      expect(r.head, path).toMatch(/\r\nconnection: close\r\n/i)
    }
  })

  it('JSON API, CSV upload and attachment upload: chunked bodies cut off at their own limits with a 413', {
    timeout: 40_000,
  }, async () => {
    const auth = apiKey
    const cases = [
      ['/api/v1/teams', 'application/json', MAX_BODY],
      [`/api/v1/sources/${sourceId}/uploads`, 'text/csv', MAX_ATTACHMENT + 64 * 1024],
      [`/api/v1/incidents/${incidentId}/attachments`, 'multipart/form-data; boundary=x', MAX_ATTACHMENT + 64 * 1024],
    ] as const
    for (const [path, type, limit] of cases) {
      const r = await send(port(api), chunkedHead(path, type, auth), 1024 * 1024 * 1024)
      expect(r.head, path).toMatch(/^HTTP\/1\.1 413 /)
      expect(r.head, path).toContain(`larger than ${limit} bytes`)
      expect(r.head, path).toMatch(/\r\nconnection: close\r\n/i)
      expect(r.sentBeforeAnswer, path).toBeGreaterThan(limit)
      expect(r.sentTotal, path).toBeLessThan(limit + 32 * 1024 * 1024)
    }
  })

  it('in-process requests (no socket) obey the same limits', async () => {
    const res = await app.api.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new ReadableStream({
        pull(ctrl) {
          ctrl.enqueue(new TextEncoder().encode('username='.padEnd(8192, 'a')))
        },
      }),
      duplex: 'half',
    } as RequestInit)
    expect(res.status).toBe(413)
    const ok = await app.api.request('/api/v1/teams', {
      method: 'POST',
      headers: { authorization: apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `t-${'x'.repeat(10)}`, permissions: [] }),
    })
    expect(ok.status).toBe(201)
  })
})
