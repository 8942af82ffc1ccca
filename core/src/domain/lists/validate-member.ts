import { isIP } from 'node:net'
import { AppError } from '../../errors.ts'

export const LIST_TYPES = ['ip', 'host', 'url', 'hash', 'user', 'email'] as const
export type ListType = (typeof LIST_TYPES)[number]

const HOST = /^(?=.{1,253}$)(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.?$/i
const HASH = /^([a-f0-9]{32}|[a-f0-9]{40}|[a-f0-9]{64}|[a-f0-9]{128})$/i
const EMAIL = /^[^\s@<>",]+@[^\s@<>",]+\.[^\s@<>",]+$/
const USER = /^[^\s<>"]{1,256}$/

const bad = (type: string) => new AppError('INVALID_REQUEST', `member: not a valid ${type} entry`)

/**
 * Checks and canonicalises one list member for its list type: ip (address or CIDR), host (domain,
 * `*.` wildcard allowed; lower-cased), url (http/https/ftp), hash (md5/sha1/sha256/sha512 hex;
 * lower-cased), user, email (lower-cased). Feeds print the canonical form.
 * @throws AppError INVALID_REQUEST naming the member field.
 */
export const validateMember = (type: string, raw: string): string => {
  const v = raw.trim()
  if (!v || v.length > 2048 || /[\r\n]/.test(v)) throw bad(type)
  switch (type) {
    case 'ip': {
      const [addr, bits, extra] = v.split('/')
      const fam = isIP(addr ?? '')
      if (!fam || extra !== undefined) throw bad('IP address or CIDR')
      if (bits !== undefined) {
        const n = Number(bits)
        if (!/^\d+$/.test(bits) || n > (fam === 4 ? 32 : 128)) throw bad('IP address or CIDR')
      }
      return v.toLowerCase()
    }
    case 'host':
      if (!HOST.test(v) || isIP(v)) throw bad('host name')
      return v.toLowerCase().replace(/\.$/, '')
    case 'url':
      try {
        const u = new URL(v)
        if (!['http:', 'https:', 'ftp:'].includes(u.protocol)) throw new Error()
      } catch {
        throw bad('URL')
      }
      return v
    case 'hash':
      if (!HASH.test(v)) throw bad('MD5/SHA-1/SHA-256/SHA-512 hash')
      return v.toLowerCase()
    case 'email':
      if (!EMAIL.test(v)) throw bad('email address')
      return v.toLowerCase()
    case 'user':
      if (!USER.test(v)) throw bad('user name')
      return v
  }
  throw new AppError('INVALID_REQUEST', `type: expected one of ${LIST_TYPES.join(', ')}`)
}
