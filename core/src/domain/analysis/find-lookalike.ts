import { domainToUnicode } from 'node:url'
import { orgDomain } from './org-domain.ts'

export type Lookalike = { protectedDomain: string; kind: 'homoglyph' | 'edit-distance' | 'embedded' }

// Characters that render like Latin letters (Unicode confusables, the common ones in phishing),
// digits that pass for letters, and letter pairs that pass for one letter.
const CONFUSABLES: Record<string, string> = {
  а: 'a',
  е: 'e',
  о: 'o',
  р: 'p',
  с: 'c',
  у: 'y',
  х: 'x',
  і: 'i',
  ј: 'j',
  ѕ: 's',
  ԁ: 'd',
  һ: 'h',
  ӏ: 'l',
  ɡ: 'g',
  ո: 'n',
  ս: 'u',
  α: 'a',
  ο: 'o',
  ν: 'v',
  ι: 'i',
  κ: 'k',
  ρ: 'p',
  τ: 't',
  ı: 'i',
  ł: 'l',
  '0': 'o',
  '1': 'l',
  '3': 'e',
  '5': 's',
  '@': 'a',
}
const PAIRS: [RegExp, string][] = [
  [/rn/g, 'm'],
  [/vv/g, 'w'],
  [/cl/g, 'd'],
]
const skeleton = (s: string) => {
  let out = [...s.normalize('NFKC').toLowerCase()].map((c) => CONFUSABLES[c] ?? c).join('')
  for (const [re, to] of PAIRS) out = out.replace(re, to)
  return out.normalize('NFD').replace(/\p{M}/gu, '')
}

/** Levenshtein distance, stopping early once it exceeds `max`. */
const distance = (a: string, b: string, max: number) => {
  if (Math.abs(a.length - b.length) > max) return max + 1
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    let best = i
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
      best = Math.min(best, cur[j]!)
    }
    if (best > max) return max + 1
    prev = cur
  }
  return prev[b.length]!
}

/**
 * Whether a host imitates one of the protected domains: the same skeleton after punycode decoding
 * and confusable folding (pаypal.com with a Cyrillic а, paypa1.com, rnicrosoft.com) → homoglyph;
 * an organisational domain one or two edits away (paypall.com; only for names of 6+ characters, so
 * short names do not collide) → edit-distance; the protected name inside another organisation's
 * domain (paypal.com.login.example, paypal-secure.example, c0rp-helpdesk.example for corp.example)
 * → embedded. The protected domains and their subdomains are never lookalikes.
 */
export const findLookalike = (host: string, protectedDomains: string[]): Lookalike | undefined => {
  const h = host.toLowerCase().replace(/\.$/, '')
  if (!h) return undefined
  const unicode = domainToUnicode(h) || h
  const org = orgDomain(unicode)
  for (const p of protectedDomains.map((d) => d.toLowerCase().trim()).filter(Boolean)) {
    if (h === p || h.endsWith(`.${p}`)) continue
    const pOrg = orgDomain(p)
    if (skeleton(org) === skeleton(pOrg)) return { protectedDomain: p, kind: 'homoglyph' }
    const label = pOrg.split('.')[0]!
    if (label.length >= 6 && distance(org, pOrg, 2) <= 2) return { protectedDomain: p, kind: 'edit-distance' }
    if (h.startsWith(`${p}.`)) return { protectedDomain: p, kind: 'embedded' }
    const orgLabels = skeleton(org.split('.')[0]!).split('-')
    if (label.length >= 4 && orgLabels.length > 1 && orgLabels.includes(skeleton(label)))
      return { protectedDomain: p, kind: 'embedded' }
  }
  return undefined
}
