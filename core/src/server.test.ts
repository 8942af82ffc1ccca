import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import { Hono } from 'hono'
import { expect, it } from 'vitest'
import type { AppEnv } from './api/env.ts'
import { CONSOLE_REQUEST_TIMEOUT_MS, listen } from './server.ts'

it('a web role takes its request limit: the console allows an upload longer than the 300 s default, the API keeps it', async () => {
  const app = new Hono<AppEnv>().post('/', async (c) => c.text(await c.req.text()))
  const consoleServer = await listen(app, '127.0.0.1', 0, undefined, { requestTimeoutMs: CONSOLE_REQUEST_TIMEOUT_MS })
  const apiServer = await listen(app, '127.0.0.1', 0)
  try {
    expect(CONSOLE_REQUEST_TIMEOUT_MS).toBeGreaterThanOrEqual(30 * 60_000) // a ~370 MiB IMG at ~1.3 MiB/s
    expect(consoleServer.requestTimeout).toBe(CONSOLE_REQUEST_TIMEOUT_MS)
    expect(apiServer.requestTimeout).toBe(300_000)
    // and the server still answers a request whose body arrives in pieces
    const { port } = consoleServer.address() as AddressInfo
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    socket.on('data', (d) => {
      answer += d
    })
    await new Promise<void>((r) => socket.once('connect', () => r()))
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 6\r\n\r\nabc')
    await new Promise((r) => setTimeout(r, 300))
    socket.write('def')
    await new Promise<void>((r) => socket.once('close', () => r()))
    expect(answer).toMatch(/^HTTP\/1\.1 200[\s\S]*abcdef$/)
  } finally {
    consoleServer.close()
    apiServer.close()
  }
})
