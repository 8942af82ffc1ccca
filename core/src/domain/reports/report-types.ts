/** What one attachment of a message is: hashes, size, the type it declares and the type its bytes have. */
export type AttachmentFacts = {
  filename: string
  size: number
  sha256: string
  md5: string
  declaredType: string
  sniffedType: string
}

/** One hop of the Received chain (newest first, as the headers stand). */
export type ReceivedHop = { from: string | null; by: string | null; at: string | null }

/** Everything the analysis and the alert fields need from one message. */
export type MessageFacts = {
  sender: string | null
  senderName: string | null
  replyTo: string[]
  returnPath: string | null
  recipients: { to: string[]; cc: string[] }
  subject: string
  messageId: string | null
  /** ISO 8601, or null when the Date header is missing or unreadable */
  date: string | null
  received: ReceivedHop[]
  /** the Authentication-Results header values, topmost (the receiving server's) first */
  authenticationResults: string[]
  /** http(s) URLs from the text and the HTML hrefs, de-duplicated in order of appearance */
  urls: string[]
  attachments: AttachmentFacts[]
  /** headers that tell bulk mail (List-Unsubscribe, List-Id, Precedence), lower-cased names */
  bulkHeaders: Record<string, string>
}

/**
 * How the original reached us: attached (.eml / message/rfc822), an Outlook .msg, forwarded inline
 * (headers reconstructed from the forward block), or the message itself when it carries no report.
 */
export type OriginalFormat = 'rfc822' | 'msg' | 'forwarded-inline' | 'direct'

export type ReportedOriginal = MessageFacts & {
  format: OriginalFormat
  /** the bytes kept for download: the .eml, the .msg, or an .eml rebuilt from the forward block */
  raw: Buffer
  rawType: 'message/rfc822' | 'application/vnd.ms-outlook'
  /** true when `raw` is the message as it was delivered (our own DKIM check means something) */
  isIntact: boolean
}

/** Report buttons we recognise by their documented submission format. */
export type ReportButton = { vendor: 'microsoft'; verdict: 'junk' | 'not_junk' | 'phishing' }

export type ExtractedReport = {
  report: {
    reporter: string | null
    reporterName: string | null
    reportedAt: string | null
    subject: string
    messageId: string | null
    button: ReportButton | null
  }
  original: ReportedOriginal
}
