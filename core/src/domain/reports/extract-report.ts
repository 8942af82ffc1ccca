import { extractUrls } from './extract-urls.ts'
import { type ParsedMessage, parseMessage } from './parse-message.ts'
import { readMsgFile } from './read-msg-file.ts'
import { type ForwardedMessage, reconstructForward } from './reconstruct-forward.ts'
import type { ExtractedReport, ReportButton, ReportedOriginal } from './report-types.ts'

// Microsoft's "Report Message"/"Report Phishing" to a third-party reporting mailbox: the subject
// starts with 1| or "Junk:", 2| or "Not junk:", 3| or "Phishing:" and the first attachment is the
// reported message as .eml or .msg (Microsoft Learn, "Message submission format").
const MS_PREFIX: [RegExp, ReportButton['verdict']][] = [
  [/^\s*(?:1\||junk:)/i, 'junk'],
  [/^\s*(?:2\||not junk:)/i, 'not_junk'],
  [/^\s*(?:3\||phishing:)/i, 'phishing'],
]

type Part = ParsedMessage['parts'][number]
const isRfc822 = (p: Part) => p.facts.declaredType === 'message/rfc822' || /\.eml$/i.test(p.facts.filename)
const isMsg = (p: Part) =>
  /\.msg$/i.test(p.facts.filename) ||
  p.facts.declaredType === 'application/vnd.ms-outlook' ||
  p.facts.sniffedType === 'application/vnd.ms-outlook'

const headerValue = (v: string) => v.replace(/[\r\n]+/g, ' ').slice(0, 2000)

/** An .eml rebuilt from a forward block, so an inline forward has an original to download too. */
const rebuild = (f: ForwardedMessage) => {
  const h = [
    `From: ${headerValue(f.from.name ? `"${f.from.name.replace(/"/g, '')}" <${f.from.address ?? ''}>` : (f.from.address ?? ''))}`,
    f.to.length ? `To: ${f.to.join(', ')}` : '',
    f.cc.length ? `Cc: ${f.cc.join(', ')}` : '',
    f.replyTo.length ? `Reply-To: ${f.replyTo.join(', ')}` : '',
    `Subject: ${headerValue(f.subject)}`,
    f.dateText ? `Date: ${headerValue(f.date ? new Date(f.date).toUTCString() : f.dateText)}` : '',
    `X-Clawback-Reconstructed: forwarded-inline (${f.client}); headers rebuilt from the forward block`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
  ].filter(Boolean)
  return Buffer.from(`${h.join('\r\n')}\r\n\r\n${f.body.replace(/\r?\n/g, '\r\n')}\r\n`, 'utf8')
}

/** The HTML of a report from the forward marker on (the reporter's own note and signature left out). */
const forwardedHtml = (html: string) => {
  const at = html.search(/Forwarded message|Original Message|Begin forwarded message|Forwarded Message/i)
  return at >= 0 ? html.slice(at) : html
}

/**
 * Takes a user report (RFC 822 bytes as the abuse mailbox received them) apart into the report
 * (reporter, time, subject, the report button when recognised) and the reported original, found in
 * this order: an attached message/rfc822 or .eml; an attached Outlook .msg; a message forwarded
 * inline (headers rebuilt from the forward block); else the message itself ("direct": a stored
 * original that is not a report). Never throws on malformed input: mailparser reads what it can;
 * an unreadable .msg is skipped for the next candidate.
 */
export const extractReport = async (raw: Buffer): Promise<ExtractedReport> => {
  const outer = await parseMessage(raw)
  const rfc822 = outer.parts.find(isRfc822)
  const msg = rfc822 ? undefined : outer.parts.find(isMsg)
  const button = (rfc822 ?? msg) ? MS_PREFIX.find(([re]) => re.test(outer.facts.subject)) : undefined
  const report: ExtractedReport['report'] = {
    reporter: outer.facts.sender,
    reporterName: outer.facts.senderName,
    reportedAt: outer.facts.date,
    subject: outer.facts.subject,
    messageId: outer.facts.messageId,
    button: button ? { vendor: 'microsoft', verdict: button[1] } : null,
  }
  let original: ReportedOriginal | undefined
  if (rfc822) {
    const inner = await parseMessage(rfc822.content)
    original = { ...inner.facts, format: 'rfc822', raw: rfc822.content, rawType: 'message/rfc822', isIntact: true }
  } else if (msg) {
    const inner = await readMsgFile(msg.content).catch(() => undefined)
    if (inner)
      original = {
        ...inner.facts,
        format: 'msg',
        raw: msg.content,
        rawType: 'application/vnd.ms-outlook',
        isIntact: false,
      }
  }
  if (!original) {
    const fwd = reconstructForward(outer.text)
    if (fwd) {
      original = {
        sender: fwd.from.address,
        senderName: fwd.from.name,
        replyTo: fwd.replyTo,
        returnPath: null,
        recipients: { to: fwd.to, cc: fwd.cc },
        subject: fwd.subject,
        messageId: null,
        date: fwd.date,
        received: [],
        authenticationResults: [],
        urls: extractUrls(fwd.body, forwardedHtml(outer.html)),
        // An inline forward carries the original's attachments on the report.
        attachments: outer.facts.attachments,
        bulkHeaders: {},
        format: 'forwarded-inline',
        raw: rebuild(fwd),
        rawType: 'message/rfc822',
        isIntact: false,
      }
    }
  }
  original ??= { ...outer.facts, format: 'direct', raw, rawType: 'message/rfc822', isIntact: true }
  return { report, original }
}
