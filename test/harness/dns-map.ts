import { generateKeyPairSync } from 'node:crypto'
import type { DnsResolver } from '../../core/src/domain/analysis/verify-dkim.ts'

/**
 * A DNS resolver answering TXT look-ups from a map (the test network is loopback only): a missing
 * name fails like the system resolver does (ENOTFOUND), so a verifier sees "no key".
 */
export const mapResolver = (txt: Record<string, string>): DnsResolver => {
  return async (name, rrtype) => {
    const value = rrtype === 'TXT' ? txt[name.toLowerCase()] : undefined
    if (value === undefined) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' })
    // TXT answers are lists of strings of at most 255 characters each
    return [value.match(/.{1,255}/g) ?? ['']]
  }
}

/** A fresh RSA key for a DKIM selector: the private key (PEM) and its DNS record. */
export const dkimKey = () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64')
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    record: `v=DKIM1; k=rsa; p=${p}`,
  }
}
