import { dkimVerify } from 'mailauth'
import type { DkimCheck } from './analysis-types.ts'

/** How DNS TXT records are looked up (mailauth's resolver signature); undefined → the system resolver. */
export type DnsResolver = (name: string, rrtype: string) => Promise<string[][] | string[]>

/**
 * Verifies every DKIM signature of an intact message with mailauth (RFC 6376). The resolver is
 * injectable: production passes none (the system resolver), tests a map of keys they generated.
 * A DNS failure is a `temperror` result, never an exception.
 */
export const verifyDkim = async (raw: Buffer, resolver?: DnsResolver): Promise<DkimCheck[]> => {
  try {
    const out = await dkimVerify(raw, resolver ? { resolver } : {})
    return (out.results ?? []).map((r) => ({
      domain: String(r.signingDomain ?? '').toLowerCase(),
      selector: String(r.selector ?? ''),
      result: String(r.status?.result ?? 'none'),
      info: String(r.info ?? '').slice(0, 300),
    }))
  } catch (err) {
    return [{ domain: '', selector: '', result: 'temperror', info: (err as Error).message.slice(0, 300) }]
  }
}
