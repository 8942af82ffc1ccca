import { lookup } from 'node:dns/promises'
import net from 'node:net'
import { describe, expect, it } from 'vitest'

describe('loopback-only test guard', () => {
  it('refuses a TCP connection to a non-loopback address before any packet is sent', () => {
    expect(() => net.connect({ host: '192.0.2.10', port: 80 })).toThrow(/loopback-only test guard/)
    expect(() => net.connect(443, '10.1.2.3')).toThrow(/loopback-only test guard/)
    expect(() => new net.Socket().connect({ host: '2001:db8::1', port: 25 })).toThrow(/loopback-only test guard/)
  })

  it('refuses a DNS look-up of anything but localhost', async () => {
    await expect(lookup('example.com')).rejects.toThrow(/loopback-only test guard/)
    expect((await lookup('localhost')).address).toMatch(/^(127\.|::1)/)
  })

  it('lets loopback connections through', async () => {
    const server = net.createServer((s) => s.end('hi'))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as net.AddressInfo).port
    const text = await new Promise<string>((resolve, reject) => {
      const c = net.connect(port, '127.0.0.1')
      let got = ''
      c.on('data', (d) => (got += d))
      c.on('end', () => resolve(got))
      c.on('error', reject)
    })
    server.close()
    expect(text).toBe('hi')
  })
})
