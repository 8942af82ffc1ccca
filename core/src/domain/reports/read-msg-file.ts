import msgreader from '@kenjiuno/msgreader'
import { AppError } from '../../errors.ts'
import { extractUrls } from './extract-urls.ts'
import { attachmentFacts, type ParsedMessage, parseMessage } from './parse-message.ts'

// A CommonJS module: Node gives module.exports (the class is its `default`); bundlers that
// apply the __esModule convention (vitest) give the class itself.
const MsgReader = ((msgreader as { default?: unknown }).default ?? msgreader) as typeof msgreader.default
type MsgReader = InstanceType<typeof MsgReader>

const iso = (v: string | undefined) => {
  const d = v ? new Date(v) : undefined
  return d && !Number.isNaN(d.getTime()) ? d.toISOString() : null
}
const lower = (v: string | undefined) => (v?.includes('@') ? v.trim().toLowerCase() : undefined)

/**
 * Reads an Outlook .msg file (MS-OXMSG: a Compound File of MAPI properties) with msgreader. The
 * internet headers Outlook kept (PR_TRANSPORT_MESSAGE_HEADERS) give the Received chain, the
 * Authentication-Results, Reply-To and Return-Path; the MAPI properties give what they lack.
 * @throws AppError INVALID_REQUEST when the bytes are not a readable .msg file
 */
export const readMsgFile = async (bytes: Uint8Array): Promise<ParsedMessage> => {
  let reader: MsgReader
  let data: ReturnType<MsgReader['getFileData']>
  try {
    reader = new MsgReader(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    data = reader.getFileData()
  } catch {
    throw new AppError('INVALID_REQUEST', 'attachment: not a readable Outlook .msg file')
  }
  if (data.error || data.dataType !== 'msg')
    throw new AppError('INVALID_REQUEST', 'attachment: not a readable Outlook .msg file')
  const fromHeaders = data.headers
    ? (await parseMessage(Buffer.from(`${data.headers.replace(/\r?\n$/, '')}\r\n\r\n`))).facts
    : undefined
  const text = data.body ?? ''
  const html = data.bodyHtml ?? (data.html ? Buffer.from(data.html).toString('utf8') : '')
  const parts = (data.attachments ?? []).flatMap((att, i) => {
    try {
      const a = reader.getAttachment(att)
      const content = Buffer.from(a.content)
      const name = a.fileName || `attachment-${i + 1}`
      return [{ facts: attachmentFacts(name, att.attachMimeTag ?? 'application/octet-stream', content), content }]
    } catch {
      return []
    }
  })
  const recips = (kind: 'to' | 'cc') =>
    (data.recipients ?? [])
      .filter((r) => (r.recipType ?? 'to') === kind)
      .map((r) => lower(r.smtpAddress) ?? lower(r.email))
      .filter((a): a is string => !!a)
  const sender = lower(data.senderSmtpAddress) ?? lower(data.senderEmail) ?? lower(data.sentRepresentingSmtpAddress)
  return {
    facts: {
      sender: fromHeaders?.sender ?? sender ?? null,
      senderName: fromHeaders?.senderName ?? data.senderName ?? null,
      replyTo: fromHeaders?.replyTo ?? [],
      returnPath: fromHeaders?.returnPath ?? null,
      recipients: fromHeaders?.recipients.to.length ? fromHeaders.recipients : { to: recips('to'), cc: recips('cc') },
      subject: data.subject ?? fromHeaders?.subject ?? '',
      messageId: fromHeaders?.messageId ?? null,
      date: fromHeaders?.date ?? iso(data.clientSubmitTime) ?? iso(data.messageDeliveryTime),
      received: fromHeaders?.received ?? [],
      authenticationResults: fromHeaders?.authenticationResults ?? [],
      urls: extractUrls(text, html),
      attachments: parts.map((p) => p.facts),
      bulkHeaders: fromHeaders?.bulkHeaders ?? {},
    },
    text,
    html,
    parts,
  }
}
