import dns from 'node:dns'
import { syncBuiltinESMExports } from 'node:module'
import net from 'node:net'

/**
 * Loaded in every test worker (vitest `setupFiles`): any attempt to open a TCP connection to an
 * address other than loopback, or to resolve a name other than localhost, throws at once — before
 * a packet leaves. Tests and peers talk to 127.0.0.1/::1 only; this makes that a checked rule.
 */
const LOOPBACK_NAMES = new Set(['localhost', 'localhost.', 'ip6-localhost'])

export const isLoopbackHost = (host: string) => {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  if (LOOPBACK_NAMES.has(h) || h === '::1' || h === '0:0:0:0:0:0:0:1') return true
  const v4 = h.replace(/^::ffff:/, '')
  return net.isIPv4(v4) && v4.startsWith('127.')
}

const refuse = (what: string) => {
  throw new Error(`loopback-only test guard: refused ${what} (tests may reach 127.0.0.1/::1 only)`)
}

type ConnectOptions = { host?: string; path?: string; port?: number | string }
const targetOf = (args: unknown[]): ConnectOptions => {
  const [first, second] = args
  if (Array.isArray(first)) return (first[0] ?? {}) as ConnectOptions // net.connect's normalized arguments
  if (first && typeof first === 'object') return first as ConnectOptions
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first)))
    return { port: first, host: typeof second === 'string' ? second : undefined }
  if (typeof first === 'string') return { path: first }
  return {}
}

const originalConnect = net.Socket.prototype.connect
net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
  const target = targetOf(args)
  if (!target.path && !isLoopbackHost(target.host ?? 'localhost'))
    refuse(`a connection to ${target.host}:${target.port}`)
  return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args)
} as typeof net.Socket.prototype.connect

const originalLookup = dns.lookup
dns.lookup = ((hostname: string, ...rest: unknown[]) => {
  if (!net.isIP(hostname) && !isLoopbackHost(hostname)) refuse(`a DNS look-up of ${hostname}`)
  return (originalLookup as (...a: unknown[]) => unknown).call(dns, hostname, ...rest)
}) as typeof dns.lookup
const originalPromiseLookup = dns.promises.lookup
dns.promises.lookup = (async (hostname: string, ...rest: unknown[]) => {
  if (!net.isIP(hostname) && !isLoopbackHost(hostname)) refuse(`a DNS look-up of ${hostname}`)
  return (originalPromiseLookup as (...a: unknown[]) => unknown).call(dns.promises, hostname, ...rest)
}) as typeof dns.promises.lookup
syncBuiltinESMExports()
