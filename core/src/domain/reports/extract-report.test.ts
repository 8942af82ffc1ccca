import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import MailComposer from 'nodemailer/lib/mail-composer/index.js'
import { describe, expect, it } from 'vitest'
import { extractReport } from './extract-report.ts'
import { sniffContentType } from './sniff-content-type.ts'

const FIXTURES = path.join(import.meta.dirname, '../../../../test/fixtures/reports')
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name))
const compose = (mail: ConstructorParameters<typeof MailComposer>[0]) => new MailComposer(mail).compile().build()

describe('extractReport', () => {
  it('takes the original out of an attached message/rfc822 and keeps its bytes verbatim', async () => {
    const raw = fixture('attached-rfc822.eml')
    const { report, original } = await extractReport(raw)
    expect(report).toMatchObject({
      reporter: 'bob@corp.example',
      reporterName: 'Bob Reporter',
      reportedAt: '2026-12-02T10:02:10.000Z',
      subject: 'FW: Action required: mailbox quota',
      button: null,
    })
    expect(original).toMatchObject({
      format: 'rfc822',
      isIntact: true,
      sender: 'helpdesk@c0rp-helpdesk.example',
      senderName: 'IT Helpdesk corp.example',
      replyTo: ['helpdesk-replies@freemail.example'],
      returnPath: 'bounces@mass-mailer.example',
      recipients: { to: ['bob@corp.example', 'carol@corp.example'], cc: ['dave@corp.example'] },
      subject: 'Action required: mailbox quota',
      messageId: 'quota-4711@c0rp-helpdesk.example',
      date: '2026-12-02T09:58:39.000Z',
    })
    expect(original.received).toEqual([
      { from: 'smtp.c0rp-helpdesk.example', by: 'mx.corp.example', at: '2026-12-02T09:58:41.000Z' },
      { from: '[203.0.113.9]', by: 'smtp.c0rp-helpdesk.example', at: '2026-12-02T09:58:40.000Z' },
    ])
    expect(original.authenticationResults[0]).toContain('dmarc=fail')
    // text URLs and HTML hrefs (entities decoded), de-duplicated; the reporter's signature link is not the original's
    expect(original.urls).toContain('https://corp.example.login-check.example/owa?u=bob&x=1')
    expect(original.urls).toContain('https://tinyurl.com/quota-fix')
    expect(original.urls).toContain('http://203.0.113.9/track.gif')
    expect(original.urls).not.toContain('https://intranet.corp.example/bob')
    expect(new Set(original.urls).size).toBe(original.urls.length)
    const page = '<!doctype html><html><form action="https://collect.example/p"><input name=pw></form></html>'
    expect(original.attachments).toEqual([
      {
        filename: 'quota.pdf.html',
        size: page.length,
        sha256: createHash('sha256').update(page).digest('hex'),
        md5: createHash('md5').update(page).digest('hex'),
        declaredType: 'application/pdf',
        sniffedType: 'text/html',
      },
    ])
    const text = original.raw.toString('utf8')
    expect(text.startsWith('Received: from smtp.c0rp-helpdesk.example')).toBe(true)
    expect(text).toContain('Message-ID: <quota-4711@c0rp-helpdesk.example>')
    expect(text).not.toContain('Bob Reporter <bob@corp.example>\r\nTo: abuse')
  })

  it("reads Microsoft's Report Message format: 3| subject prefix and the original as an Outlook .msg", async () => {
    const msg = fixture('phish.msg')
    const raw = await compose({
      from: 'Alice <alice@corp.example>',
      to: 'abuse@corp.example',
      subject: '3|Your account is limited',
      text: 'This message was reported by the user as phishing.',
      attachments: [
        { filename: 'Your account is limited.msg', content: msg, contentType: 'application/vnd.ms-outlook' },
      ],
    })
    const { report, original } = await extractReport(raw)
    expect(report.button).toEqual({ vendor: 'microsoft', verdict: 'phishing' })
    expect(report.reporter).toBe('alice@corp.example')
    expect(original).toMatchObject({
      format: 'msg',
      rawType: 'application/vnd.ms-outlook',
      isIntact: false,
      sender: 'service@paypa1-secure.example',
      senderName: 'PayPal Security',
      replyTo: ['collect@mailbox-drop.example'],
      returnPath: 'bounce@bulk-sender.example',
      recipients: { to: ['alice@corp.example'], cc: [] },
      subject: 'Your account is limited',
      messageId: 'msg-fixture-1@paypa1-secure.example',
      date: '2026-12-01T09:13:58.000Z',
      urls: ['https://bit.ly/3xYzAbC', 'https://paypa1-secure.example/login'],
    })
    expect(original.received[0]).toEqual({
      from: 'mail.paypa1-secure.example',
      by: 'mx.corp.example',
      at: '2026-12-01T09:14:02.000Z',
    })
    expect(original.authenticationResults[0]).toContain('spf=fail')
    expect(original.attachments).toEqual([
      expect.objectContaining({
        filename: 'invoice.pdf',
        declaredType: 'application/pdf',
        sniffedType: 'application/x-dosexec',
      }),
    ])
    expect(original.raw.equals(msg)).toBe(true)
  })

  it('reads the other Microsoft prefixes and an attached .eml under a Junk: subject', async () => {
    const inner = fixture('bulk-newsletter.eml')
    const raw = await compose({
      from: 'alice@corp.example',
      to: 'abuse@corp.example',
      subject: 'Junk: Our December deals',
      text: 'reported',
      attachments: [{ filename: 'deals.eml', content: inner, contentType: 'application/octet-stream' }],
    })
    const { report, original } = await extractReport(raw)
    expect(report.button).toEqual({ vendor: 'microsoft', verdict: 'junk' })
    expect(original.format).toBe('rfc822')
    expect(original.messageId).toBe('deals-1@shop.example')
    expect(original.raw.equals(inner)).toBe(true)
  })

  it.each([
    [
      'forward-outlook.eml',
      'outlook',
      'ap@vendor-invoices.example',
      'Invoice 2291 overdue',
      '2026-12-02T16:15:00.000Z',
    ],
    ['forward-gmail.eml', 'gmail', 'share@d0cs-share.example', 'Shared document', '2026-12-02T15:07:00.000Z'],
    ['forward-apple.eml', 'apple-mail', 'notify@parcel-hold.example', 'Parcel on hold', '2026-12-02T11:20:31.000Z'],
    [
      'forward-thunderbird.eml',
      'thunderbird',
      'it@corp-example.example',
      'Password expires',
      '2026-12-02T06:45:00.000Z',
    ],
  ])('rebuilds the headers of an inline forward: %s (%s)', async (file, client, sender, subject, date) => {
    const { original } = await extractReport(fixture(file))
    expect(original).toMatchObject({ format: 'forwarded-inline', isIntact: false, sender, subject, date })
    const rebuilt = original.raw.toString('utf8')
    expect(rebuilt).toContain(`X-Clawback-Reconstructed: forwarded-inline (${client})`)
    expect(rebuilt).toContain(`Subject: ${subject}`)
  })

  it('keeps the recipients, Cc and Reply-To of forward blocks, and only the forwarded part URLs', async () => {
    const outlook = (await extractReport(fixture('forward-outlook.eml'))).original
    expect(outlook.recipients).toEqual({
      to: ['erin@corp.example', 'frank@corp.example'],
      cc: ['ap-team@corp.example'],
    })
    expect(outlook.senderName).toBe('Accounts Payable')
    const apple = (await extractReport(fixture('forward-apple.eml'))).original
    expect(apple.replyTo).toEqual(['customs@parcel-pay.example'])
    const gmail = (await extractReport(fixture('forward-gmail.eml'))).original
    expect(gmail.urls).toEqual(['https://d0cs-share.example/view/abc?ref=mail', 'https://d0cs-share.example/view/abc'])
  })

  it('follows a forward of a forward to the innermost original', async () => {
    const { original } = await extractReport(fixture('forward-nested.eml'))
    expect(original).toMatchObject({
      sender: 'ceo@corp-ceo.example',
      senderName: 'CEO Name',
      subject: 'Wire transfer',
      recipients: { to: ['frank@corp.example'], cc: [] },
      urls: ['https://wire.corp-ceo.example/d'],
    })
  })

  it('decodes a non-UTF-8 report (ISO-8859-1, quoted-printable, German Outlook labels)', async () => {
    const { report, original } = await extractReport(fixture('forward-latin1.eml'))
    expect(report.subject).toBe('WG: Überweisung bestätigen')
    expect(report.reporterName).toBe('Jürgen Müller')
    expect(original).toMatchObject({
      format: 'forwarded-inline',
      sender: 'chef@corp-gf.example',
      senderName: 'Geschäftsführung',
      subject: 'Überweisung bestätigen',
      urls: ['https://corp-gf.example/ok'],
    })
    expect(original.raw.toString('utf8')).toContain('Subject: Überweisung bestätigen')
  })

  it('reads what it can of malformed MIME (no closing boundary, a non-header line, bad base64) without throwing', async () => {
    const { original } = await extractReport(fixture('malformed.eml'))
    expect(original.format).toBe('direct')
    expect(original.messageId).toBe('malformed-1@odd-mailer.example')
    expect(original.urls).toEqual(['http://odd-mailer.example/x'])
    expect(original.attachments.map((a) => a.filename)).toEqual(['a.bin'])
  })

  it('treats a message without a report inside as the original itself', async () => {
    const raw = fixture('clean.eml')
    const { original } = await extractReport(raw)
    expect(original).toMatchObject({ format: 'direct', isIntact: true, sender: 'grace@partner.example' })
    expect(original.raw.equals(raw)).toBe(true)
  })

  it('hashes a huge attachment (20 MiB) in the original', async () => {
    const big = Buffer.alloc(20 * 1024 * 1024, 0x41)
    const inner = await compose({
      from: 'x@big.example',
      to: 'erin@corp.example',
      subject: 'big',
      text: 'see attached',
      attachments: [{ filename: 'big.txt', content: big }],
    })
    const raw = await compose({
      from: 'erin@corp.example',
      to: 'abuse@corp.example',
      subject: 'Fwd: big',
      text: 'reported',
      attachments: [{ filename: 'big.eml', content: inner, contentType: 'message/rfc822' }],
    })
    const { original } = await extractReport(raw)
    expect(original.attachments).toEqual([
      expect.objectContaining({
        filename: 'big.txt',
        size: big.length,
        sha256: createHash('sha256').update(big).digest('hex'),
        sniffedType: 'text/plain',
      }),
    ])
  })
})

describe('sniffContentType', () => {
  it.each([
    ['a PE executable', Buffer.concat([Buffer.from('MZ'), Buffer.alloc(100)]), 'application/x-dosexec'],
    ['an ELF binary', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), 'application/x-executable'],
    ['a Windows shortcut', Buffer.from([0x4c, 0, 0, 0, 1, 0x14, 2, 0, 0, 0]), 'application/x-ms-shortcut'],
    ['a PDF', Buffer.from('%PDF-1.7\n'), 'application/pdf'],
    ['a zip', Buffer.from('PK\x03\x04\x14\x00\x00\x00notes.txt', 'latin1'), 'application/zip'],
    [
      'a macro-enabled OOXML',
      Buffer.from('PK\x03\x04\x14\x00word/vbaProject.bin', 'latin1'),
      'application/vnd.ms-office.macroEnabled',
    ],
    [
      'a docx',
      Buffer.from('PK\x03\x04\x14\x00word/document.xml', 'latin1'),
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    ],
    ['an Outlook .msg', readFileSync(path.join(FIXTURES, 'phish.msg')), 'application/vnd.ms-outlook'],
    ['an HTML page', Buffer.from('  <!DOCTYPE html><html>'), 'text/html'],
    ['plain text', Buffer.from('hello\nworld\n'), 'text/plain'],
    ['random binary', Buffer.from([1, 2, 3, 0, 5, 6]), 'application/octet-stream'],
  ])('recognises %s', (_, bytes, type) => {
    expect(sniffContentType(bytes)).toBe(type)
  })
})
