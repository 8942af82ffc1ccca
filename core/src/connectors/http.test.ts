import { createServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import net, { type AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { selfSignedCert } from '../../../test/peers/self-signed.ts'
import { ConnectorError } from './errors.ts'
import { createHttpClient, resolveUnderPolicy, throwForStatus } from './http.ts'

let server: Server
let base = ''
let proxy: net.Server
let proxied: string[] = []
let proxyUrl = ''

const listen = async (s: net.Server) => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  return (s.address() as AddressInfo).port
}

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2_000)
    if (req.url === '/throttled') return void res.writeHead(429, { 'retry-after': '7' }).end()
    if (req.url === '/big') return void res.end(Buffer.alloc(200_000, 'x'))
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, body })),
    )
  })
  base = `http://127.0.0.1:${await listen(server)}`
  // A real forward proxy (HTTP CONNECT), recording the targets it tunnels to.
  proxy = net.createServer((client) => {
    client.once('data', (head) => {
      const [, target] = /^CONNECT (\S+) HTTP/.exec(head.toString()) ?? []
      if (!target) return client.destroy()
      proxied.push(target)
      const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))]
      const upstream = net.connect(port, host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        upstream.pipe(client)
        client.pipe(upstream)
      })
      upstream.on('error', () => client.destroy())
    })
  })
  proxyUrl = `http://127.0.0.1:${await listen(proxy)}`
})
afterAll(() => {
  server.close()
  proxy.close()
})

const kindOf = async (p: Promise<unknown>) => {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectorError)
    return {
      kind: (err as ConnectorError).kind,
      message: (err as Error).message,
      retry: (err as ConnectorError).retryAfterMs,
    }
  }
  throw new Error('expected a ConnectorError')
}

describe('the outbound HTTP client', () => {
  it('refuses loopback for a cloud connector, by IP literal and by name, without connecting', async () => {
    const http = createHttpClient({ policy: { isOnPremises: false } })
    expect(await kindOf(http.request(`${base}/x`))).toMatchObject({
      kind: 'rejected',
      message: expect.stringMatching(/egress policy: 127\.0\.0\.1/),
    })
    const port = new URL(base).port
    expect(await kindOf(http.request(`http://localhost:${port}/x`))).toMatchObject({
      kind: 'rejected',
      message: expect.stringMatching(/egress policy: localhost resolves to/),
    })
    expect(await kindOf(http.request('http://[::ffff:169.254.169.254]/latest/meta-data/'))).toMatchObject({
      kind: 'rejected',
    })
    await http.close()
  })

  it('reaches an on-premises address, with JSON in and out', async () => {
    const http = createHttpClient({ policy: { isOnPremises: true } })
    const res = await http.request(`${base}/echo`, { json: { a: 1 } })
    expect(res.status).toBe(200)
    expect(res.json()).toEqual({ method: 'POST', body: '{"a":1}' })
    await http.close()
  })

  it('refuses non-HTTP schemes', async () => {
    const http = createHttpClient({ policy: { isOnPremises: true } })
    expect(await kindOf(http.request('file:///etc/passwd'))).toMatchObject({ kind: 'rejected' })
    await http.close()
  })

  it('times out, honours the caller abort signal, and bounds the answer size', async () => {
    const http = createHttpClient({ policy: { isOnPremises: true } })
    const started = Date.now()
    expect(await kindOf(http.request(`${base}/slow`, { timeoutMs: 200 }))).toMatchObject({
      kind: 'unavailable',
      message: expect.stringMatching(/no answer within 200 ms/),
    })
    expect(Date.now() - started).toBeLessThan(1_500)
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 100)
    expect(await kindOf(http.request(`${base}/slow`, { signal: ac.signal }))).toMatchObject({
      kind: 'unavailable',
      message: 'aborted',
    })
    expect(await kindOf(http.request(`${base}/big`, { maxResponseBytes: 100_000 }))).toMatchObject({
      message: expect.stringMatching(/larger than 100000 bytes/),
    })
    await http.close()
  })

  it('maps 429 + Retry-After to rate_limited with the delay', async () => {
    const http = createHttpClient({ policy: { isOnPremises: true } })
    const res = await http.request(`${base}/throttled`)
    expect(await kindOf(Promise.resolve().then(() => throwForStatus('peer', res)))).toMatchObject({
      kind: 'rate_limited',
      retry: 7000,
    })
    await http.close()
  })

  it('reports a refused connection as unavailable', async () => {
    const spare = net.createServer()
    const port = await listen(spare)
    spare.close()
    const http = createHttpClient({ policy: { isOnPremises: true } })
    expect(await kindOf(http.request(`http://127.0.0.1:${port}/`))).toMatchObject({
      kind: 'unavailable',
      message: expect.stringMatching(/ECONNREFUSED/),
    })
    await http.close()
  })

  it('goes through the configured proxy, except for hosts in noProxy', async () => {
    proxied = []
    const viaProxy = createHttpClient({ policy: { isOnPremises: true }, proxy: { url: proxyUrl, noProxy: '' } })
    expect((await viaProxy.request(`${base}/a`)).status).toBe(200)
    expect(proxied).toEqual([new URL(base).host])
    await viaProxy.close()
    const bypass = createHttpClient({
      policy: { isOnPremises: true },
      proxy: { url: proxyUrl, noProxy: 'example.test, 127.0.0.1' },
    })
    expect((await bypass.request(`${base}/b`)).status).toBe(200)
    expect(proxied).toHaveLength(1)
    await bypass.close()
  })

  it('resolves names for other protocols under the same policy', async () => {
    await expect(resolveUnderPolicy({ isOnPremises: false }, 'localhost')).rejects.toMatchObject({ kind: 'rejected' })
    await expect(resolveUnderPolicy({ isOnPremises: false }, '10.0.0.1')).rejects.toMatchObject({ kind: 'rejected' })
    expect((await resolveUnderPolicy({ isOnPremises: true }, 'localhost')).address).toMatch(/^(127\.|::1)/)
  })

  it('trusts a private CA only when given one (`ca`)', async () => {
    const tls = selfSignedCert()
    const https = createHttpsServer(tls, (_req, res) => res.end('ok'))
    const url = `https://127.0.0.1:${await listen(https)}/`
    const plain = createHttpClient({ policy: { isOnPremises: true } })
    expect(await kindOf(plain.request(url))).toMatchObject({ kind: 'unavailable' })
    const trusting = createHttpClient({ policy: { isOnPremises: true }, ca: tls.cert })
    expect((await trusting.request(url)).text()).toBe('ok')
    await Promise.all([plain.close(), trusting.close()])
    await new Promise<void>((r) => https.close(() => r()))
  })
})
