import { createHash } from 'node:crypto'
import { type AddressObject, type EmailAddress, type ParsedMail, simpleParser } from 'mailparser'
import { extractUrls } from './extract-urls.ts'
import type { AttachmentFacts, MessageFacts, ReceivedHop } from './report-types.ts'
import { sniffContentType } from './sniff-content-type.ts'

/** A parsed message: its facts, its bodies and its attachments with their bytes. */
export type ParsedMessage = {
  facts: MessageFacts
  text: string
  html: string
  parts: { facts: AttachmentFacts; content: Buffer }[]
}

const flatten = (list: EmailAddress[]): EmailAddress[] => list.flatMap((a) => (a.group ? flatten(a.group) : [a]))
const addresses = (obj: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(obj) ? obj : obj ? [obj] : [])
    .flatMap((o) => flatten(o.value))
    .map((a) => (a.address ?? '').trim().toLowerCase())
    .filter((a) => a.length > 0)

const headerLines = (mail: ParsedMail, key: string) =>
  mail.headerLines
    .filter((h) => h.key === key)
    .map((h) =>
      h.line
        .slice(h.line.indexOf(':') + 1)
        .replace(/\s+/g, ' ')
        .trim(),
    )

const isoDate = (value: string | Date | undefined) => {
  const d = value instanceof Date ? value : value ? new Date(value) : undefined
  return d && !Number.isNaN(d.getTime()) ? d.toISOString() : null
}

/** One Received header → who handed it over, who took it, and when (RFC 5321 §4.4 trace fields). */
const hop = (value: string): ReceivedHop => {
  const semi = value.lastIndexOf(';')
  const route = semi >= 0 ? value.slice(0, semi) : value
  return {
    from: /\bfrom\s+(\S+)/i.exec(route)?.[1] ?? null,
    by: /\bby\s+(\S+)/i.exec(route)?.[1] ?? null,
    at: semi >= 0 ? isoDate(value.slice(semi + 1).trim()) : null,
  }
}

const stripAngles = (v: string) => v.trim().replace(/^<|>$/g, '').trim()

/** Hashes, size, declared and sniffed type of one attachment's bytes. */
export const attachmentFacts = (filename: string, declaredType: string, content: Buffer): AttachmentFacts => ({
  filename,
  size: content.byteLength,
  sha256: createHash('sha256').update(content).digest('hex'),
  md5: createHash('md5').update(content).digest('hex'),
  declaredType: declaredType.toLowerCase(),
  sniffedType: sniffContentType(content),
})

/**
 * Parses one RFC 822 message with mailparser (lenient: malformed MIME and unknown charsets give
 * what can be read, never an exception for bad input) into the facts the analysis uses.
 */
export const parseMessage = async (raw: Buffer): Promise<ParsedMessage> => {
  const mail = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true })
  const from = Array.isArray(mail.from) ? mail.from[0] : mail.from
  const firstFrom = from ? flatten(from.value)[0] : undefined
  const returnPath = headerLines(mail, 'return-path')[0]
  const text = mail.text ?? ''
  const html = typeof mail.html === 'string' ? mail.html : ''
  const parts = mail.attachments.map((a, i) => ({
    facts: attachmentFacts(a.filename ?? `attachment-${i + 1}`, a.contentType ?? 'application/octet-stream', a.content),
    content: a.content,
  }))
  const bulkHeaders: Record<string, string> = {}
  for (const name of ['list-unsubscribe', 'list-id', 'precedence', 'auto-submitted']) {
    const v = headerLines(mail, name)[0]
    if (v) bulkHeaders[name] = v.slice(0, 500)
  }
  return {
    facts: {
      sender: firstFrom?.address ? firstFrom.address.trim().toLowerCase() : null,
      senderName: firstFrom?.name ? firstFrom.name : null,
      replyTo: addresses(mail.replyTo),
      returnPath: returnPath !== undefined ? stripAngles(returnPath).toLowerCase() || null : null,
      recipients: { to: addresses(mail.to), cc: addresses(mail.cc) },
      subject: mail.subject ?? '',
      messageId: mail.messageId ? stripAngles(mail.messageId) : null,
      date: isoDate(mail.date),
      received: headerLines(mail, 'received').slice(0, 50).map(hop),
      authenticationResults: headerLines(mail, 'authentication-results'),
      urls: extractUrls(text, html),
      attachments: parts.map((p) => p.facts),
      bulkHeaders,
    },
    text,
    html,
    parts,
  }
}
