import { readFileSync } from 'node:fs'
import path from 'node:path'
import { dkimSign } from 'mailauth'
import MailComposer from 'nodemailer/lib/mail-composer/index.js'
import { describe, expect, it } from 'vitest'
import { dkimKey, mapResolver } from '../../../../test/harness/dns-map.ts'
import { extractReport } from '../reports/extract-report.ts'
import { attachmentFacts } from '../reports/parse-message.ts'
import type { AnalysisContext } from './analysis-types.ts'
import { analyzeMessage, dispositionOf } from './analyze-message.ts'
import { classifyAttachment } from './classify-attachment.ts'
import { classifyUrl } from './classify-url.ts'
import { findLookalike } from './find-lookalike.ts'
import { readAuthResults } from './read-auth-results.ts'
import { verifyDkim } from './verify-dkim.ts'

const FIXTURES = path.join(import.meta.dirname, '../../../../test/fixtures/reports')
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name))
const PROTECTED = ['corp.example', 'paypal.com']
const ctx = (over: Partial<AnalysisContext> = {}): AnalysisContext => ({
  protectedDomains: PROTECTED,
  isSenderDomainKnown: true,
  listHits: [],
  ...over,
})
const original = async (name: string) => (await extractReport(fixture(name))).original
const rules = (a: { reasons: { rule: string }[] }) => a.reasons.map((r) => r.rule).sort()

describe('analysis verdict table (real reports)', () => {
  it('the helpdesk phish is malicious: failed auth, mismatches, lookalikes, shortener, IP link, disguised HTML attachment', async () => {
    const a = analyzeMessage(await original('attached-rfc822.eml'), ctx({ isSenderDomainKnown: false }))
    expect(a.disposition).toBe('malicious')
    expect(a.score).toBe(100)
    expect(rules(a)).toEqual(
      [
        'dmarcFail',
        'spfSoftfail',
        'dkimFail',
        'replyToMismatch',
        'returnPathMismatch',
        'displayNameSpoof',
        'lookalikeSender',
        'lookalikeOther',
        'newSenderDomain',
        'shortener',
        'ipUrl',
        'htmlAttachment',
        'mismatchedExtension',
      ].sort(),
    )
    expect(a.reasons.find((r) => r.rule === 'lookalikeSender')?.detail).toBe(
      'sender domain c0rp-helpdesk.example imitates corp.example (embedded)',
    )
    expect(a.reasons.find((r) => r.rule === 'lookalikeOther')?.detail).toBe(
      'corp.example.login-check.example imitates corp.example (embedded)',
    )
  })

  it('the Outlook .msg phish with an executable named .pdf is malicious', async () => {
    const msg = fixture('phish.msg')
    const raw = await new MailComposer({
      from: 'alice@corp.example',
      to: 'abuse@corp.example',
      subject: '3|Your account is limited',
      text: 'reported',
      attachments: [{ filename: 'phish.msg', content: msg }],
    })
      .compile()
      .build()
    const a = analyzeMessage((await extractReport(raw)).original, ctx())
    expect(a.disposition).toBe('malicious')
    expect(rules(a)).toEqual(
      expect.arrayContaining([
        'executable',
        'mismatchedExtension',
        'lookalikeSender',
        'shortener',
        'spfFail',
        'dmarcFail',
      ]),
    )
    expect(a.reasons.find((r) => r.rule === 'lookalikeSender')?.detail).toBe(
      'sender domain paypa1-secure.example imitates paypal.com (embedded)',
    )
  })

  it('a CEO wire request forwarded inline from a lookalike domain is malicious; an unknown vendor alone is clean', async () => {
    const a = analyzeMessage(await original('forward-nested.eml'), ctx({ isSenderDomainKnown: false }))
    expect(rules(a)).toEqual(['lookalikeOther', 'lookalikeSender', 'newSenderDomain'].sort())
    expect(a.disposition).toBe('malicious')
    const known = analyzeMessage(await original('forward-outlook.eml'), ctx({ isSenderDomainKnown: false }))
    expect(rules(known)).toEqual(['newSenderDomain'])
    expect(known.disposition).toBe('clean')
  })

  it('a newsletter with List-Unsubscribe and passing auth is bulk; a colleague’s mail is clean', async () => {
    const bulk = analyzeMessage(await original('bulk-newsletter.eml'), ctx({ isSenderDomainKnown: false }))
    expect(bulk).toEqual({
      score: 10,
      disposition: 'bulk',
      reasons: [{ rule: 'newSenderDomain', points: 10, detail: 'shop.example was not seen in earlier alerts' }],
    })
    expect(analyzeMessage(await original('clean.eml'), ctx())).toEqual({ score: 0, disposition: 'clean', reasons: [] })
  })

  it('a list hit alone makes a message malicious; SPF softfail from a new domain is spam', async () => {
    const clean = await original('clean.eml')
    const hit = analyzeMessage(
      clean,
      ctx({ listHits: [{ list: 'Blocked senders', type: 'email', value: 'grace@partner.example' }] }),
    )
    expect(hit.disposition).toBe('malicious')
    expect(hit.reasons[0]?.detail).toBe('email grace@partner.example is on the list Blocked senders')
    const soft = analyzeMessage(
      { ...clean, authenticationResults: ['mx.corp.example; spf=softfail smtp.mailfrom=partner.example'] },
      ctx({ isSenderDomainKnown: false }),
    )
    expect(soft).toMatchObject({ score: 20, disposition: 'spam' })
  })

  it.each([
    [0, false, 'clean'],
    [14, false, 'clean'],
    [15, false, 'spam'],
    [29, true, 'bulk'],
    [30, true, 'suspicious'],
    [59, false, 'suspicious'],
    [60, false, 'malicious'],
  ] as const)('score %i (bulk headers: %s) → %s', (score, bulk, disposition) => {
    expect(dispositionOf(score, bulk)).toBe(disposition)
  })
})

describe('rules', () => {
  it.each([
    ['pаypal.com', 'homoglyph'], // Cyrillic а
    ['xn--pypal-4ve.com', 'homoglyph'], // the same, as punycode
    ['paypa1.com', 'homoglyph'],
    ['rnicrosoft.example', undefined],
    ['paypall.com', 'edit-distance'],
    ['paypal.com.login.example', 'embedded'],
    ['paypal-secure.example', 'embedded'],
    ['c0rp-helpdesk.example', 'embedded'],
    ['paypal.com', undefined],
    ['www.paypal.com', undefined],
    ['partner.example', undefined],
    ['corp.exampl', undefined],
  ])('lookalike of the protected domains: %s → %s', (host, kind) => {
    expect(findLookalike(host, PROTECTED)?.kind).toBe(kind)
  })

  it('reads the topmost Authentication-Results only (lower ones may be forged by the sender)', () => {
    expect(
      readAuthResults([
        'mx.corp.example; spf=pass smtp.mailfrom=a.example; dkim=fail header.d=x.example; dkim=pass header.d=a.example; dmarc=pass',
        'evil.example; spf=fail; dmarc=fail',
      ]),
    ).toEqual({ spf: 'pass', dkim: 'pass', dmarc: 'pass', by: 'mx.corp.example' })
    expect(readAuthResults([])).toEqual({ spf: null, dkim: null, dmarc: null, by: null })
  })

  it('recognises shorteners, IP and punycode hosts without following anything', () => {
    expect(classifyUrl('https://bit.ly/abc')).toMatchObject({ isShortener: true, isIpHost: false })
    expect(classifyUrl('http://[2001:db8::1]/x')).toMatchObject({ isIpHost: true })
    expect(classifyUrl('https://xn--pypal-4ve.com/')).toMatchObject({ isPunycode: true, isShortener: false })
    expect(classifyUrl('not a url')).toMatchObject({ host: '', isShortener: false })
  })

  it('classifies attachments by extension and sniffed bytes', () => {
    const f = (name: string, bytes: Buffer) =>
      classifyAttachment(attachmentFacts(name, 'application/octet-stream', bytes))
    expect(f('setup.exe', Buffer.from('MZ..'))).toMatchObject({ isExecutable: true, isMismatched: false })
    expect(f('invoice.pdf', Buffer.from('MZ..'))).toMatchObject({ isExecutable: true, isMismatched: true })
    expect(f('budget.xlsm', Buffer.from('PK\x03\x04xl/vbaProject.bin', 'latin1'))).toMatchObject({ hasMacros: true })
    expect(f('report.docx', Buffer.from('PK\x03\x04word/vbaProject.bin', 'latin1'))).toMatchObject({
      hasMacros: true,
      isMismatched: true,
    })
    expect(f('files.zip', Buffer.from('PK\x03\x04a.txt', 'latin1'))).toMatchObject({
      isArchive: true,
      isMismatched: false,
    })
    expect(f('scan.pdf', Buffer.from('%PDF-1.4'))).toEqual({
      isExecutable: false,
      hasMacros: false,
      isArchive: false,
      isHtml: false,
      isMismatched: false,
    })
  })
})

describe('our own DKIM verification (keys generated here, DNS from a map)', () => {
  const key = dkimKey()
  const resolver = mapResolver({ 'sel1._domainkey.partner.example': key.record })
  const signed = async () => {
    const raw = fixture('clean.eml')
    // mailauth signs what signatureData lists; its type also asks for the fields at the top level
    const sig = { signingDomain: 'partner.example', selector: 'sel1', privateKey: key.privateKey }
    const { signatures } = await dkimSign(raw, { ...sig, signatureData: [sig] })
    return Buffer.concat([Buffer.from(signatures), raw])
  }

  it('passes an intact signed message and fails it once the body was changed', async () => {
    const raw = await signed()
    expect(await verifyDkim(raw, resolver)).toEqual([
      expect.objectContaining({ domain: 'partner.example', selector: 'sel1', result: 'pass' }),
    ])
    const tampered = Buffer.from(raw.toString('utf8').replace('partner.example/minutes', 'evil.example/minutes'))
    const [check] = await verifyDkim(tampered, resolver)
    expect(check).toMatchObject({ domain: 'partner.example', result: 'neutral' })
    const a = analyzeMessage(
      (await extractReport(tampered)).original,
      ctx({ dkim: await verifyDkim(tampered, resolver) }),
    )
    expect(rules(a)).toEqual(['ownDkimFail'])
  })

  it('fails a signature made with another key than the one published', async () => {
    const other = mapResolver({ 'sel1._domainkey.partner.example': dkimKey().record })
    const [check] = await verifyDkim(await signed(), other)
    expect(check).toMatchObject({ domain: 'partner.example', result: 'fail' })
  })

  it('reports no key in DNS without throwing', async () => {
    const [check] = await verifyDkim(await signed(), mapResolver({}))
    expect(check?.result).not.toBe('pass')
  })
})
