import type { AnalysedMessage, Analysis, AnalysisContext, Disposition, Reason } from './analysis-types.ts'
import { classifyAttachment } from './classify-attachment.ts'
import { classifyUrl } from './classify-url.ts'
import { findLookalike } from './find-lookalike.ts'
import { domainOf, orgDomain } from './org-domain.ts'
import { readAuthResults } from './read-auth-results.ts'

/** Points per rule (ARCHITECTURE.md, "Message analysis", has the same table). */
export const POINTS = {
  dmarcFail: 30,
  spfFail: 20,
  spfSoftfail: 10,
  dkimFail: 15,
  ownDkimFail: 15,
  replyToMismatch: 15,
  returnPathMismatch: 5,
  displayNameSpoof: 20,
  lookalikeSender: 45,
  lookalikeOther: 30,
  newSenderDomain: 10,
  shortener: 10,
  ipUrl: 15,
  punycodeUrl: 10,
  executable: 60,
  macros: 40,
  archive: 10,
  htmlAttachment: 25,
  mismatchedExtension: 30,
  listHit: 60,
} as const

/**
 * The verdict table: score ≥ 60 → malicious; 30–59 → suspicious; below 30 a message with bulk
 * headers (List-Unsubscribe, List-Id, Precedence bulk/list) → bulk; 15–29 → spam; below 15 → clean.
 */
export const dispositionOf = (score: number, isBulk: boolean): Disposition =>
  score >= 60 ? 'malicious' : score >= 30 ? 'suspicious' : isBulk ? 'bulk' : score >= 15 ? 'spam' : 'clean'

const differentOrg = (a: string, b: string) => !!a && !!b && orgDomain(a) !== orgDomain(b)

/**
 * Scores one reported original with every rule and gives the disposition and the reasons (each
 * rule once per thing it saw; score capped at 100). Pure: every look-up (own DKIM, earlier alerts,
 * lists) is in `ctx`.
 */
export const analyzeMessage = (m: AnalysedMessage, ctx: AnalysisContext): Analysis => {
  const reasons: Reason[] = []
  const add = (rule: keyof typeof POINTS, detail: string) => reasons.push({ rule, points: POINTS[rule], detail })
  const senderDomain = domainOf(m.sender)

  // Authentication as the receiving server recorded it.
  const auth = readAuthResults(m.authenticationResults)
  if (auth.dmarc === 'fail') add('dmarcFail', `DMARC fail recorded by ${auth.by ?? 'the receiving server'}`)
  if (auth.spf === 'fail') add('spfFail', `SPF fail recorded by ${auth.by ?? 'the receiving server'}`)
  else if (auth.spf === 'softfail') add('spfSoftfail', `SPF softfail recorded by ${auth.by ?? 'the receiving server'}`)
  if (auth.dkim === 'fail') add('dkimFail', `DKIM fail recorded by ${auth.by ?? 'the receiving server'}`)
  // Our own DKIM check, where the message is intact: a signature that no longer verifies.
  for (const c of ctx.dkim ?? [])
    if (c.result === 'fail' || c.result === 'neutral')
      add('ownDkimFail', `DKIM signature of ${c.domain || 'unknown domain'} does not verify: ${c.info}`)

  // Who it claims to be versus where replies and bounces go.
  for (const r of m.replyTo)
    if (differentOrg(domainOf(r), senderDomain))
      add('replyToMismatch', `Reply-To ${r} differs from the sender ${m.sender}`)
  if (m.returnPath && differentOrg(domainOf(m.returnPath), senderDomain))
    add('returnPathMismatch', `Return-Path ${m.returnPath} differs from the sender ${m.sender}`)
  const claimed = (m.senderName ?? '').toLowerCase()
  const spoofed = ctx.protectedDomains.find(
    (p) => claimed.includes(p.toLowerCase()) && senderDomain !== p && !senderDomain.endsWith(`.${p}`),
  )
  if (spoofed) add('displayNameSpoof', `display name "${m.senderName}" names ${spoofed}, the sender is ${m.sender}`)

  // Lookalike domains: the sender, Reply-To and link hosts against the protected domains.
  const senderLook = senderDomain ? findLookalike(senderDomain, ctx.protectedDomains) : undefined
  if (senderLook)
    add('lookalikeSender', `sender domain ${senderDomain} imitates ${senderLook.protectedDomain} (${senderLook.kind})`)
  const others = new Set<string>()
  for (const r of m.replyTo) others.add(domainOf(r))
  const urlFlags = m.urls.map(classifyUrl)
  for (const u of urlFlags) others.add(u.host)
  others.delete(senderDomain)
  for (const host of others) {
    const look = host ? findLookalike(host, ctx.protectedDomains) : undefined
    if (look) add('lookalikeOther', `${host} imitates ${look.protectedDomain} (${look.kind})`)
  }
  if (senderDomain && !ctx.isSenderDomainKnown) add('newSenderDomain', `${senderDomain} was not seen in earlier alerts`)

  // Links: shorteners are recognised by host, never followed.
  const short = urlFlags.filter((u) => u.isShortener)
  if (short.length)
    add('shortener', `link shortener hides the target: ${[...new Set(short.map((u) => u.host))].join(', ')}`)
  const ip = urlFlags.filter((u) => u.isIpHost)
  if (ip.length) add('ipUrl', `link to a bare IP address: ${[...new Set(ip.map((u) => u.host))].join(', ')}`)
  const puny = urlFlags.filter((u) => u.isPunycode)
  if (puny.length) add('punycodeUrl', `link to a punycode host: ${[...new Set(puny.map((u) => u.host))].join(', ')}`)

  // Attachments.
  for (const a of m.attachments) {
    const f = classifyAttachment(a)
    const what = `${a.filename} (${a.sniffedType}, sha256 ${a.sha256})`
    if (f.isExecutable) add('executable', `executable attachment ${what}`)
    if (f.hasMacros) add('macros', `macro-enabled document ${what}`)
    if (f.isArchive) add('archive', `archive attachment ${what}`)
    if (f.isHtml) add('htmlAttachment', `HTML attachment ${what}`)
    if (f.isMismatched) add('mismatchedExtension', `${a.filename} is named like one type but is ${a.sniffedType}`)
  }

  for (const h of ctx.listHits) add('listHit', `${h.type} ${h.value} is on the list ${h.list}`)

  const score = Math.min(
    100,
    reasons.reduce((s, r) => s + r.points, 0),
  )
  const precedence = (m.bulkHeaders.precedence ?? '').toLowerCase()
  const isBulk =
    !!m.bulkHeaders['list-unsubscribe'] || !!m.bulkHeaders['list-id'] || ['bulk', 'list'].includes(precedence)
  return { score, disposition: dispositionOf(score, isBulk), reasons }
}
